# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The parts of the dom0 tools, one folder and one archive each, lowest
# first. This table is the one source of truth for who may use whom: the
# Makefile links by it and tests/docs/t_layering.sh checks every #include
# of tools/tapdisk-activate/ against it.
#
#   PART_USES_<part>  the parts whose headers <part> may include (and so
#                     whose archives it links); never a part to its right
#                     in PARTS
#   PART_API_<part>   the headers <part> offers the parts above it, as
#                     "<part>/<header>"; every other header stays inside
#
# cli and daemon are programs on top: nothing includes their headers.
PARTS := common vhd lease backend handover cli daemon

PART_USES_common :=
PART_USES_vhd := common
PART_USES_lease := common
PART_USES_backend := common
PART_USES_handover := backend lease vhd common
# cli parses backend specs and prints backend and page-cache facts itself.
PART_USES_cli := handover backend lease vhd common
# The daemon runs each handover as the CLI in a child it can kill and
# reads its report with the handover's decoder (handover_wire.h): no other
# handover code is linked in.
PART_USES_daemon := handover lease common

# common is a toolbox of independent small headers, not one library API.
PART_API_common := dio.h json.h clock.h version.h exitcodes.h hint.h
PART_API_vhd := vhd.h
PART_API_lease := lease.h
PART_API_backend := backend.h
PART_API_handover := handover.h handover_wire.h
PART_API_cli :=
PART_API_daemon :=

# Includes that break the table, each "<file>:<included header>" with
# the reason; the layering test accepts exactly these and fails on a
# listed one that is gone, so the list only shrinks. None is left.
LAYERING_KNOWN_BREAKS :=
