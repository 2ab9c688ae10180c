/* The arm32 layout of the pool and xmalloc: backends/tlsf.c again, with
 * 32-bit links, so 8-byte headers and 8-byte alignment (tlsf.h). */
#define TLSF_ARM32 1
#include "backends/tlsf.c"
