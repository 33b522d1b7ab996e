/**
 * @file admin.c  `trunkd admin ...`: organisations, API keys, entitlements,
 *                port requests
 *
 * A one-shot command, so blocking libpq is right here.  Every command runs
 * the migrations first (a fresh database works), prints JSON on stdout and
 * errors on stderr, and NOTIFYs running trunkd instances so that their key
 * caches forget what changed.
 */
#include <stdio.h>
#include <string.h>
#include <libpq-fe.h>
#include "admin.h"
#include "core/config.h"
#include "core/log.h"
#include "store/migrate.h"
#include "store/orgs.h"

static const char usage[] =
    "usage: trunkd admin org create --name NAME [--sip]\n"
    "       trunkd admin org list\n"
    "       trunkd admin org entitle --org ID --sip on|off\n"
    "       trunkd admin org alerts --org ID [--email ADDR] [--phone E164]\n"
    "                                        [--webhook URL]\n"
    "       trunkd admin port set-status --id ID --status in_progress|"
    "completed|failed|canceled [--reason TEXT]\n"
    "       trunkd admin key create --org ID\n"
    "       trunkd admin key revoke --prefix PREFIX\n"
    "Uses DATABASE_URL / --database-url like the server. Prints JSON.\n";

/* --name value lookup in argv; NULL if absent */
static const char *arg_value(int argc, char *argv[], const char *flag)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], flag))
			return i + 1 < argc ? argv[i + 1] : NULL;
	}
	return NULL;
}

static bool arg_present(int argc, char *argv[], const char *flag)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], flag))
			return true;
	}
	return false;
}

/* Run one parameterised statement; returns the result or NULL (printed) */
static PGresult *run(PGconn *pg, const char *sql, int n,
		     const char *const *params)
{
	PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);

	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		fprintf(stderr, "trunkd admin: %s", PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* Print the one JSON row of r (consumed); none means the org was unknown */
static int print_org_row(PGresult *r, const char *org)
{
	int rc = 0;

	if (!r)
		return 1;
	if (PQntuples(r) != 1) {
		fprintf(stderr, "trunkd admin: no organisation %s\n", org);
		rc = 1;
	} else {
		printf("%s\n", PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return rc;
}

static void notify_change(PGconn *pg)
{
	PQclear(PQexec(pg, "NOTIFY " ORGS_CHANGED_CHANNEL));
}

static int org_create(PGconn *pg, int argc, char *argv[])
{
	const char *name = arg_value(argc, argv, "--name");
	const char *sip = arg_present(argc, argv, "--sip") ? "t" : "f";
	const char *params[2] = {name, sip};
	PGresult *r;

	if (!name || !name[0]) {
		fputs("trunkd admin org create: --name NAME is required\n",
		      stderr);
		return 2;
	}
	r = run(pg,
		"WITH o AS (INSERT INTO orgs (name) VALUES ($1) RETURNING id,"
		" name), e AS (INSERT INTO entitlements (org_id, name, "
		"enabled) SELECT id, 'sip', $2::boolean FROM o) "
		"SELECT json_build_object('id', id, 'name', name, 'sip', "
		"$2::boolean) FROM o",
		2, params);
	if (!r)
		return 1;
	printf("%s\n", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static int org_list(PGconn *pg)
{
	PGresult *r = run(pg,
			  "SELECT coalesce(json_agg(json_build_object('id', "
			  "o.id, 'name', o.name, 'sip', coalesce(e.enabled, "
			  "false), 'created_at', o.created_at) ORDER BY "
			  "o.created_at), '[]') FROM orgs o LEFT JOIN "
			  "entitlements e ON e.org_id = o.id AND e.name = "
			  "'sip'",
			  0, NULL);

	if (!r)
		return 1;
	printf("%s\n", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static int org_entitle(PGconn *pg, int argc, char *argv[])
{
	const char *org = arg_value(argc, argv, "--org");
	const char *sip = arg_value(argc, argv, "--sip");
	const char *params[2];
	PGresult *r;

	if (!org || !sip || (strcmp(sip, "on") && strcmp(sip, "off"))) {
		fputs("trunkd admin org entitle: --org ID --sip on|off\n",
		      stderr);
		return 2;
	}
	params[0] = org;
	params[1] = strcmp(sip, "on") ? "f" : "t";
	r = run(pg,
		"INSERT INTO entitlements (org_id, name, enabled) SELECT id, "
		"'sip', $2::boolean FROM orgs WHERE id::text = $1 ON CONFLICT "
		"(org_id, name) DO UPDATE SET enabled = excluded.enabled, "
		"updated_at = now() RETURNING json_build_object('id', org_id,"
		" 'sip', enabled)",
		2, params);
	if (print_org_row(r, org))
		return 1;
	notify_change(pg);
	return 0;
}

static int key_create(PGconn *pg, int argc, char *argv[])
{
	const char *org = arg_value(argc, argv, "--org");
	char key[APIKEY_LEN + 1], hash[65], prefix[APIKEY_PREFIX_LEN + 1];
	const char *params[4] = {org, hash, prefix, key};
	PGresult *r;

	if (!org) {
		fputs("trunkd admin key create: --org ID is required\n",
		      stderr);
		return 2;
	}
	if (apikey_generate(key)) {
		fputs("trunkd admin: no randomness available\n", stderr);
		return 1;
	}
	apikey_hash_hex(key, strlen(key), hash);
	memcpy(prefix, key, APIKEY_PREFIX_LEN);
	prefix[APIKEY_PREFIX_LEN] = '\0';
	r = run(pg,
		"INSERT INTO api_keys (org_id, key_hash, prefix) SELECT id, "
		"$2, $3 FROM orgs WHERE id::text = $1 RETURNING "
		"json_build_object('key', $4::text, 'org_id', org_id, "
		"'prefix', prefix)",
		4, params);
	return print_org_row(r, org);
}

static int key_revoke(PGconn *pg, int argc, char *argv[])
{
	const char *prefix = arg_value(argc, argv, "--prefix");
	const char *params[1] = {prefix};
	PGresult *r;

	if (!prefix) {
		fputs("trunkd admin key revoke: --prefix PREFIX\n", stderr);
		return 2;
	}
	r = run(pg,
		"UPDATE api_keys SET revoked_at = now() WHERE prefix = $1 AND "
		"revoked_at IS NULL RETURNING json_build_object('prefix', "
		"prefix, 'org_id', org_id, 'revoked', true)",
		1, params);
	if (!r)
		return 1;
	for (int i = 0; i < PQntuples(r); i++)
		printf("%s\n", PQgetvalue(r, i, 0));
	PQclear(r);
	notify_change(pg);
	return 0;
}

/* where the org's e-mail and SMS alerts go ("" clears) */
static int org_alerts(PGconn *pg, int argc, char *argv[])
{
	const char *params[4] = {arg_value(argc, argv, "--org"),
				 arg_value(argc, argv, "--email"),
				 arg_value(argc, argv, "--phone"),
				 arg_value(argc, argv, "--webhook")};
	PGresult *r;

	if (!params[0]) {
		fputs("trunkd admin org alerts: --org ID [--email ADDR] "
		      "[--phone E164] [--webhook URL]\n",
		      stderr);
		return 2;
	}
	r = run(pg,
		"UPDATE orgs SET alert_email = coalesce(nullif($2, ''), "
		"CASE WHEN $2 = '' THEN NULL ELSE alert_email END), "
		"alert_phone = coalesce(nullif($3, ''), CASE WHEN $3 = '' "
		"THEN NULL ELSE alert_phone END), webhook_url = "
		"coalesce(nullif($4, ''), CASE WHEN $4 = '' THEN NULL ELSE "
		"webhook_url END) WHERE id::text = $1 RETURNING "
		"json_build_object('id', id, 'alert_email', alert_email, "
		"'alert_phone', alert_phone, 'webhook_url', webhook_url)",
		4, params);
	return print_org_row(r, params[0]) ? 1 : 0;
}

/* an operator moves a port request (the same checks as the API) */
static int port_set_status(PGconn *pg, int argc, char *argv[])
{
	const char *params[3] = {arg_value(argc, argv, "--id"),
				 arg_value(argc, argv, "--status"),
				 arg_value(argc, argv, "--reason")};
	PGresult *r;

	if (!params[0] || !params[1]) {
		fputs("trunkd admin port set-status: --id ID --status STATUS "
		      "[--reason TEXT]\n",
		      stderr);
		return 2;
	}
	r = run(pg,
		"SELECT port_transition($1::uuid, NULL, $2, 'operator', $3)",
		3, params);
	if (!r)
		return 1;
	printf("%s\n", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

int admin_main(const struct config *cfg, int argc, char *argv[])
{
	const char *what = argc > 1 ? argv[1] : "";
	const char *verb = argc > 2 ? argv[2] : "";
	PGconn *pg;
	int rc = 2;

	if (!strcmp(what, "--help") || !strcmp(what, "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!cfg->database_url[0]) {
		fputs("trunkd admin: DATABASE_URL (or --database-url) is not "
		      "set\n",
		      stderr);
		return 2;
	}
	log_level_set(LOG_WARN);
	pg = PQconnectdb(cfg->database_url);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "trunkd admin: cannot connect: %s",
			PQerrorMessage(pg));
		PQfinish(pg);
		return 1;
	}
	PQclear(PQexec(pg, "SET client_min_messages = warning"));
	if (migrate_run(pg, cfg->migrations_dir)) {
		PQfinish(pg);
		return 1;
	}

	if (!strcmp(what, "org") && !strcmp(verb, "create"))
		rc = org_create(pg, argc - 3, argv + 3);
	else if (!strcmp(what, "org") && !strcmp(verb, "list"))
		rc = org_list(pg);
	else if (!strcmp(what, "org") && !strcmp(verb, "entitle"))
		rc = org_entitle(pg, argc - 3, argv + 3);
	else if (!strcmp(what, "org") && !strcmp(verb, "alerts"))
		rc = org_alerts(pg, argc - 3, argv + 3);
	else if (!strcmp(what, "port") && !strcmp(verb, "set-status"))
		rc = port_set_status(pg, argc - 3, argv + 3);
	else if (!strcmp(what, "key") && !strcmp(verb, "create"))
		rc = key_create(pg, argc - 3, argv + 3);
	else if (!strcmp(what, "key") && !strcmp(verb, "revoke"))
		rc = key_revoke(pg, argc - 3, argv + 3);
	else
		fputs(usage, stderr);

	PQfinish(pg);
	return rc;
}
