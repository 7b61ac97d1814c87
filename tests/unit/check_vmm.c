#include <check.h>
#include <stdio.h>
#include <string.h>

#include "vmm/cli.h"

START_TEST(version_is_semver)
{
	int major, minor, patch;

	ck_assert_int_eq(sscanf(SHEER_VERSION, "%d.%d.%d", &major, &minor, &patch), 3);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vmm");
	TCase *tc = tcase_create("cli");

	tcase_add_test(tc, version_is_semver);
	suite_add_tcase(s, tc);
	return s;
}
