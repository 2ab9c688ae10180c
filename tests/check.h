/* What every test file includes: cmocka and the few helpers tests share. */
#ifndef XHEAP_TESTS_CHECK_H
#define XHEAP_TESTS_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#endif
