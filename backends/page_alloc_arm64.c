/*
 * The page allocator's paths that walk the frame table, compiled again
 * for Arm64's 56-byte struct page_info (backends/page_alloc.h): the same
 * source as x86's, with that stride a constant (see page_alloc.c).
 */
#define PAGE_ALLOC_ARM64
#include "backends/page_alloc.c"
