/*
 * STATIC marks file-local functions that unit tests reach: it is `static`
 * in the program and nothing in test builds (curl's UNITTEST).  Tests
 * declare the prototypes they need themselves.
 */
#ifndef FANSCP_UNITTEST_H
#define FANSCP_UNITTEST_H

#ifdef UNIT_TEST
#define STATIC
#else
#define STATIC static
#endif

#endif
