/** @file admin.c  placeholder until the store lands */
#include <stdio.h>
#include "admin.h"

int admin_main(const struct config *cfg, int argc, char *argv[])
{
	(void)cfg;
	(void)argc;
	(void)argv;
	fprintf(stderr, "trunkd admin: not built yet\n");
	return 2;
}
