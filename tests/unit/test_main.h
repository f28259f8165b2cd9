/*
 * test_main.h - the main() every Check test binary shares: run the suite,
 * exit non-zero on any failure.
 */
#ifndef MASKEVAL_TEST_MAIN_H
#define MASKEVAL_TEST_MAIN_H

#include <check.h>
#include <stdlib.h>

#define MASKEVAL_TEST_MAIN(suite_fn)                                                               \
    int main(void)                                                                                 \
    {                                                                                              \
        SRunner *sr = srunner_create(suite_fn());                                                  \
        int failed;                                                                                \
        srunner_run_all(sr, CK_NORMAL);                                                            \
        failed = srunner_ntests_failed(sr);                                                        \
        srunner_free(sr);                                                                          \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;                                          \
    }

#endif
