/* check.h: the smallest test harness: CHECK prints "ok" or "not ok". */
#ifndef LP_CHECK_H
#define LP_CHECK_H

#include <stdio.h>

static int check_failed;

#define CHECK(cond, name) do {						\
	if (cond)							\
		printf("ok %s\n", (name));				\
	else {								\
		printf("not ok %s (%s:%d: %s)\n", (name), __FILE__,	\
		    __LINE__, #cond);					\
		check_failed++;						\
	}								\
} while (0)

#define CHECK_DONE()	(fflush(stdout), check_failed ? 1 : 0)

#endif
