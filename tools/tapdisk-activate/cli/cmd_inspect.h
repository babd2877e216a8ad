/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* tapdisk-activate inspect: validate and describe a VHD (cmd_inspect.c). */
#ifndef TAPDISK_ACTIVATE_CMD_INSPECT_H
#define TAPDISK_ACTIVATE_CMD_INSPECT_H

int cmd_inspect(int argc, char **argv);

#endif /* TAPDISK_ACTIVATE_CMD_INSPECT_H */
