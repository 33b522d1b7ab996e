/**
 * @file admin.h  `trunkd admin ...`: organisations, API keys, entitlements
 *
 * Runs before and without the event loop, so it may block on PostgreSQL.
 */
#ifndef TRUNKD_ADMIN_H
#define TRUNKD_ADMIN_H

struct config;

/* argv[0] is "admin"; prints JSON on stdout; returns the process exit code */
int admin_main(const struct config *cfg, int argc, char *argv[]);

#endif
