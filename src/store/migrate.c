/** @file migrate.c  Migration runner (blocking libpq; start-up only) */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mbedtls/sha256.h>
#include "core/log.h"
#include "store/migrate.h"

#define MAX_MIGRATIONS 512
#define LOCK_ID	       "7263401"

static int cmp_version(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

int migrate_plan(struct migration *files, size_t nfiles,
		 const struct migration *applied, size_t napplied, size_t *todo,
		 size_t *ntodo, char *why, size_t whysz)
{
	size_t n = 0;

	qsort(files, nfiles, sizeof(*files), cmp_version);
	for (size_t i = 1; i < nfiles; i++) {
		if (files[i].version == files[i - 1].version) {
			snprintf(why, whysz, "%s and %s share version %u",
				 files[i - 1].name, files[i].name,
				 files[i].version);
			return EINVAL;
		}
	}

	for (size_t a = 0; a < napplied; a++) {
		size_t i;

		for (i = 0; i < nfiles; i++) {
			if (files[i].version == applied[a].version)
				break;
		}
		if (i == nfiles) {
			snprintf(why, whysz,
				 "the database has migration %u "
				 "(%s) that is not in the migrations directory",
				 applied[a].version, applied[a].name);
			return EINVAL;
		}
		if (strcmp(files[i].checksum, applied[a].checksum)) {
			snprintf(why, whysz,
				 "%s was changed after it was "
				 "applied (checksum differs); add a new "
				 "migration instead",
				 files[i].name);
			return EINVAL;
		}
	}

	for (size_t i = 0; i < nfiles; i++) {
		size_t a;

		for (a = 0; a < napplied; a++) {
			if (applied[a].version == files[i].version)
				break;
		}
		if (a == napplied)
			todo[n++] = i;
	}
	*ntodo = n;
	return 0;
}

static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	long len;
	char *buf;

	if (!f)
		return errno;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return EIO;
	}
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return EIO;
	}
	buf[len] = '\0';
	fclose(f);
	*out = buf;
	return 0;
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[32];

	mbedtls_sha256_ret((const unsigned char *)data, len, md, 0);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int load_dir(const char *dir, struct migration *v, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[1024];
	int err = 0;

	if (!d) {
		log_error("store", NULL, "cannot open migrations dir %s: %s",
			  dir, strerror(errno));
		return errno;
	}
	*n = 0;
	while (!err && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct migration *m;
		char *end;

		if (len < 6 || strcmp(e->d_name + len - 4, ".sql"))
			continue;
		if (*n == MAX_MIGRATIONS || len >= sizeof(m->name))
			return E2BIG;
		m = &v[*n];
		memset(m, 0, sizeof(*m));
		m->version = (unsigned)strtoul(e->d_name, &end, 10);
		if (end == e->d_name || *end != '_') {
			log_error("store", NULL,
				  "migration %s is not named "
				  "NNNN_name.sql",
				  e->d_name);
			err = EINVAL;
			break;
		}
		memcpy(m->name, e->d_name, len + 1);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		err = read_file(path, &m->sql);
		if (!err) {
			sha256_hex(m->sql, strlen(m->sql), m->checksum);
			++*n;
		}
	}
	closedir(d);
	return err;
}

static int exec_ok(PGconn *pg, const char *sql, const char *what)
{
	PGresult *r = PQexec(pg, sql);
	ExecStatusType s = PQresultStatus(r);
	int err = 0;

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		log_error("store", NULL, "%s: %s", what,
			  PQresultErrorMessage(r));
		err = EPROTO;
	}
	PQclear(r);
	return err;
}

static int apply_one(PGconn *pg, const struct migration *m)
{
	char ver[16];
	const char *params[3] = {ver, m->name, m->checksum};
	PGresult *r;
	int err;

	snprintf(ver, sizeof(ver), "%u", m->version);
	err = exec_ok(pg, "BEGIN", "begin");
	if (!err)
		err = exec_ok(pg, m->sql, m->name);
	if (!err) {
		r = PQexecParams(pg,
				 "INSERT INTO schema_migrations (version,"
				 " name, checksum) VALUES ($1, $2, $3)",
				 3, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			err = EPROTO;
		PQclear(r);
	}
	if (!err)
		err = exec_ok(pg, "COMMIT", "commit");
	if (err) {
		PQclear(PQexec(pg, "ROLLBACK"));
		return err;
	}
	log_info("store", NULL, "applied migration %s", m->name);
	return 0;
}

int migrate_run(PGconn *pg, const char *dir)
{
	struct migration *files = calloc(MAX_MIGRATIONS, sizeof(*files));
	struct migration *applied = NULL;
	size_t nfiles = 0, napplied = 0, todo[MAX_MIGRATIONS], ntodo = 0;
	char why[512];
	PGresult *r = NULL;
	int err;

	if (!files)
		return ENOMEM;
	err = load_dir(dir, files, &nfiles);
	if (err)
		goto out;
	err = exec_ok(pg, "SELECT pg_advisory_lock(" LOCK_ID ")", "lock");
	if (err)
		goto out;
	err = exec_ok(pg,
		      "CREATE TABLE IF NOT EXISTS schema_migrations ("
		      "version integer PRIMARY KEY, name text NOT NULL, "
		      "checksum text NOT NULL, applied_at timestamptz NOT NULL"
		      " DEFAULT now())",
		      "schema_migrations");
	if (err)
		goto unlock;

	r = PQexec(pg, "SELECT version, name, checksum FROM schema_migrations");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		err = EPROTO;
		goto unlock;
	}
	napplied = (size_t)PQntuples(r);
	applied = calloc(napplied + 1, sizeof(*applied));
	if (!applied) {
		err = ENOMEM;
		goto unlock;
	}
	for (size_t i = 0; i < napplied; i++) {
		applied[i].version = (unsigned)atoi(PQgetvalue(r, (int)i, 0));
		snprintf(applied[i].name, sizeof(applied[i].name), "%s",
			 PQgetvalue(r, (int)i, 1));
		snprintf(applied[i].checksum, sizeof(applied[i].checksum), "%s",
			 PQgetvalue(r, (int)i, 2));
	}

	err = migrate_plan(files, nfiles, applied, napplied, todo, &ntodo, why,
			   sizeof(why));
	if (err) {
		log_error("store", NULL, "refusing to start: %s", why);
		goto unlock;
	}
	for (size_t i = 0; !err && i < ntodo; i++)
		err = apply_one(pg, &files[todo[i]]);

unlock:
	PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" LOCK_ID ")"));
out:
	PQclear(r);
	free(applied);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i].sql);
	free(files);
	return err;
}
