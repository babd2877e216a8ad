// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of blkmq.c: disk names and virtual-device numbers.
 */
#include <kunit/test.h>

#include "kunit_sim.h"

/* ---------------- naming ---------------- */

static void naming_letters(struct kunit *test)
{
	char name[DISK_NAME_LEN];

	KUNIT_ASSERT_EQ(test, xbd_disk_name(0, name, sizeof(name)), 0);
	KUNIT_EXPECT_STREQ(test, name, "xvda");
	xbd_disk_name(25, name, sizeof(name));
	KUNIT_EXPECT_STREQ(test, name, "xvdz");
	xbd_disk_name(26, name, sizeof(name));
	KUNIT_EXPECT_STREQ(test, name, "xvdaa");
	xbd_disk_name(701, name, sizeof(name));
	KUNIT_EXPECT_STREQ(test, name, "xvdzz");
	xbd_disk_name(702, name, sizeof(name));
	KUNIT_EXPECT_STREQ(test, name, "xvdaaa");
	KUNIT_EXPECT_EQ(test, xbd_disk_name(0, name, 4), -EINVAL);
}

static void naming_vdevice(struct kunit *test)
{
	unsigned int minor, nr, index;

	/* xl's "xvda" = 51712 = 202 << 8 */
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice(51712, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, minor, 0U);
	KUNIT_EXPECT_EQ(test, nr, 16U);
	KUNIT_EXPECT_EQ(test, index, 0U);
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice(51728, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, index, 1U);
	KUNIT_EXPECT_EQ(test, minor, 16U);
	/* A partition alone gets one minor. */
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice(51713, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, nr, 1U);
	/* Extended scheme: xvdaa */
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice((1U << 28) | (26 << 8), &minor, &nr, &index),
			0);
	KUNIT_EXPECT_EQ(test, index, 26U);
	KUNIT_EXPECT_EQ(test, nr, 256U);
	/* hdc (IDE1 master), hdb (IDE0 slave), sdb and sdq map onto xvd names. */
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice(22 << 8, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, index, 2U);
	KUNIT_EXPECT_EQ(test, minor, 32U);
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice((3 << 8) | 64, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, index, 1U);
	KUNIT_EXPECT_EQ(test, nr, 16U);
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice((8 << 8) | 16, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, index, 1U);
	KUNIT_ASSERT_EQ(test, xbd_decode_vdevice(65 << 8, &minor, &nr, &index), 0);
	KUNIT_EXPECT_EQ(test, index, 16U);
	KUNIT_EXPECT_EQ(test, xbd_decode_vdevice(7 << 8, &minor, &nr, &index), -ENODEV);
	KUNIT_EXPECT_EQ(test, xbd_decode_vdevice(1U << 29, &minor, &nr, &index), -ENODEV);
}

static struct kunit_case naming_cases[] = {
	KUNIT_CASE(naming_letters),
	KUNIT_CASE(naming_vdevice),
	{}
};

static struct kunit_suite naming_suite = {
	.name = "xen_blkfront_drain_naming",
	.test_cases = naming_cases,
};

kunit_test_suites(&naming_suite);
