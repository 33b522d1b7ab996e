/**
 * @file migrate.h  Schema migrations: migrations/NNNN_name.sql, each applied
 *                  once, in order, recorded in schema_migrations
 *
 * Runs at start-up (and from the admin CLI) before the event loop, so it
 * uses blocking libpq on purpose.  migrate_plan() is the pure decision,
 * separate from the I/O so that it can be tested without a database.
 */
#ifndef TRUNKD_STORE_MIGRATE_H
#define TRUNKD_STORE_MIGRATE_H

#include <stddef.h>
#include <libpq-fe.h>

struct migration {
	unsigned version;
	char name[128];	   /* file name */
	char checksum[65]; /* SHA-256 hex of the file */
	char *sql;	   /* owned (malloc) for files, NULL for applied */
};

/*
 * files (sorted or not) and applied (from schema_migrations): writes the
 * indexes into files of what to apply, in order, into todo (capacity
 * nfiles).  Returns 0, or EINVAL with why (a static or buffer message):
 * duplicate version, checksum mismatch, applied version missing on disk.
 */
int migrate_plan(struct migration *files, size_t nfiles,
		 const struct migration *applied, size_t napplied, size_t *todo,
		 size_t *ntodo, char *why, size_t whysz);

/* Load dir, compare with the database, apply what is missing. */
int migrate_run(PGconn *pg, const char *dir);

#endif
