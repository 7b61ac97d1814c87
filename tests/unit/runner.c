/*
 * Shared runner for the Check unit-test binaries: each tests/unit/check_<folder>.c
 * defines unit_suite() for its folder of the tree; this runs it and prints
 * Check's summary line. Exit status is non-zero when any test failed.
 */
#include <check.h>
#include <stdlib.h>

Suite *unit_suite(void);

int main(void)
{
	SRunner *runner = srunner_create(unit_suite());
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
