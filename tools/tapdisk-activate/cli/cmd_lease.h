/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* tapdisk-activate lease: init/acquire/renew/release/status/break (cmd_lease.c). */
#ifndef TAPDISK_ACTIVATE_CMD_LEASE_H
#define TAPDISK_ACTIVATE_CMD_LEASE_H

int cmd_lease(int argc, char **argv);

#endif /* TAPDISK_ACTIVATE_CMD_LEASE_H */
