/** @file sipconf.c  Validation of attach/update bodies (see sipconf.h) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include "core/cidr.h"
#include "core/sipconf.h"

static const char *const transports[] = {"udp", "tcp", "tls", NULL};
static const char *const auth_modes[] = {"ip", "register", NULL};

const char *sipconf_dir_name(enum sipconf_dir dir)
{
	return dir == SIPCONF_INBOUND ? "inbound" : "outbound";
}

int sipconf_number_normalize(const char *in, bool bound_to_trunk,
			     char out[SIPCONF_NUMBER_MAX + 1])
{
	char e164[E164_MAX + 1];
	size_t len = strlen(in);

	if (!e164_normalize(in, len, e164)) {
		memcpy(out, e164, strlen(e164) + 1);
		return 0;
	}
	if (!bound_to_trunk || !len || len > SIPCONF_NUMBER_MAX)
		return EINVAL;

	/* a SIP identity on a customer's trunk: DID digits or extension */
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (!((c >= '0' && c <= '9') || c == '*' || c == '#' ||
		      (c == '+' && i == 0)))
			return EINVAL;
	}
	memcpy(out, in, len + 1);
	return 0;
}

static const char *const apps[] = {"echo", "play", "record", "dtmf", NULL};

/* "hello.wav": a file in --prompts-dir, never a path */
static bool prompt_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 128 && s[0] != '.' && !strchr(s, '/') &&
	       !strchr(s, '\\');
}

static bool cidrs_parse(const json_t *list, const char *path, struct jsonv *v)
{
	const json_t *e;
	struct cidr c;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) > SIPCONF_MAX_CIDRS)
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s.allowed_cidrs must be an array of at "
				  "most %d address blocks",
				  path, SIPCONF_MAX_CIDRS);
	json_array_foreach(list, i, e)
	{
		if (!json_is_string(e) || cidr_parse(json_string_value(e), &c))
			return jsonv_fail(v, "INVALID_FIELD",
					  "%s.allowed_cidrs[%zu] must be an "
					  "address or block such as "
					  "203.0.113.0/24",
					  path, i);
	}
	return true;
}

/* what calls to an inbound number do: options.app and its settings */
static bool inbound_options_parse(struct sipconf_direction *d,
				  const json_t *obj, const char *p,
				  struct jsonv *v)
{
	const char *app = NULL, *prompt = NULL;
	long long digits = 0, limit = 0;
	bool loop = false, has_loop, has_digits, has_limit;
	const json_t *cidrs = json_object_get(obj, "allowed_cidrs");

	if (!jsonv_string(v, obj, p, "app", false, &app) ||
	    !jsonv_string(v, obj, p, "prompt", false, &prompt) ||
	    !jsonv_bool(v, obj, p, "loop", &loop, &has_loop) ||
	    !jsonv_int(v, obj, p, "max_digits", 1, 32, &digits, &has_digits) ||
	    !jsonv_int(v, obj, p, "max_concurrent_calls", 1, 100000, &limit,
		       &has_limit))
		return false;
	if (app && !jsonv_enum(v, p, "app", app, apps))
		return false;
	if (prompt && !prompt_name_ok(prompt))
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s.prompt must be a file name in the "
				  "prompts directory (no path)",
				  p);
	if (app && !strcmp(app, "play") && !prompt)
		return jsonv_fail(v, "MISSING_FIELD",
				  "%s.prompt is required when app is play", p);
	if (cidrs && !json_is_null(cidrs) && !cidrs_parse(cidrs, p, v))
		return false;

	if (app)
		json_object_set_new(d->options, "app", json_string(app));
	if (prompt)
		json_object_set_new(d->options, "prompt", json_string(prompt));
	if (has_loop)
		json_object_set_new(d->options, "loop", json_boolean(loop));
	if (has_digits)
		json_object_set_new(d->options, "max_digits",
				    json_integer(digits));
	if (has_limit)
		json_object_set_new(d->options, "max_concurrent_calls",
				    json_integer(limit));
	if (cidrs && json_array_size(cidrs))
		json_object_set(d->options, "allowed_cidrs", (json_t *)cidrs);
	return true;
}

static bool options_parse(struct sipconf_direction *d, const json_t *obj,
			  const char *path, bool inbound, struct jsonv *v)
{
	static const char *const keys[] = {"port",	   "transport",
					   "secure_media", "sip_username",
					   "sip_password", NULL};
	static const char *const in_keys[] = {"port",
					      "transport",
					      "secure_media",
					      "sip_username",
					      "sip_password",
					      "app",
					      "prompt",
					      "loop",
					      "max_digits",
					      "allowed_cidrs",
					      "max_concurrent_calls",
					      NULL};
	const char *transport = NULL, *user = NULL;
	long long port = 0;
	bool secure = false, has_port, has_secure;
	char p[96];

	snprintf(p, sizeof(p), "%s.options", path);
	if (!jsonv_object(v, obj, p, inbound ? in_keys : keys) ||
	    !jsonv_int(v, obj, p, "port", 1, 65535, &port, &has_port) ||
	    !jsonv_string(v, obj, p, "transport", false, &transport) ||
	    !jsonv_bool(v, obj, p, "secure_media", &secure, &has_secure) ||
	    !jsonv_string(v, obj, p, "sip_username", false, &user) ||
	    !jsonv_string(v, obj, p, "sip_password", false, &d->sip_password))
		return false;
	if (transport && !jsonv_enum(v, p, "transport", transport, transports))
		return false;

	if (has_port)
		json_object_set_new(d->options, "port", json_integer(port));
	if (transport)
		json_object_set_new(d->options, "transport",
				    json_string(transport));
	if (has_secure)
		json_object_set_new(d->options, "secure_media",
				    json_boolean(secure));
	if (user)
		json_object_set_new(d->options, "sip_username",
				    json_string(user));
	return !inbound || inbound_options_parse(d, obj, p, v);
}

static bool header_rule_parse(const json_t *rule, const char *path,
			      struct jsonv *v)
{
	static const char *const custom[] = {"type", "key", "value",
					     "passthrough", NULL};
	static const char *const uui[] = {"type",     "target",	 "purpose",
					  "encoding", "content", NULL};
	static const char *const types[] = {"custom", "uui", NULL};
	static const char *const encodings[] = {"hex", "base64", "ascii", NULL};
	const char *type = NULL, *s = NULL;
	bool pass;

	if (!json_is_object(rule))
		return jsonv_fail(v, "INVALID_FIELD", "%s must be an object",
				  path);
	if (!jsonv_string(v, rule, path, "type", true, &type) ||
	    !jsonv_enum(v, path, "type", type, types))
		return false;

	if (!strcmp(type, "custom"))
		return jsonv_object(v, rule, path, custom) &&
		       jsonv_string(v, rule, path, "key", true, &s) &&
		       jsonv_string(v, rule, path, "value", true, &s) &&
		       jsonv_bool(v, rule, path, "passthrough", &pass, NULL);

	if (!jsonv_object(v, rule, path, uui) ||
	    !jsonv_string(v, rule, path, "target", true, &s) ||
	    !jsonv_string(v, rule, path, "purpose", false, &s) ||
	    !jsonv_string(v, rule, path, "content", true, &s))
		return false;
	s = NULL;
	if (!jsonv_string(v, rule, path, "encoding", false, &s))
		return false;
	return !s || jsonv_enum(v, path, "encoding", s, encodings);
}

static bool headers_parse(struct sipconf_direction *d, const json_t *obj,
			  const char *path, enum sipconf_dir type,
			  struct jsonv *v)
{
	static const char *const keys[] = {"direction", "headers", NULL};
	const char *dir = NULL;
	const json_t *rules;
	char p[96], rp[128];
	size_t i;
	json_t *rule;

	snprintf(p, sizeof(p), "%s.headers", path);
	if (!jsonv_object(v, obj, p, keys) ||
	    !jsonv_string(v, obj, p, "direction", false, &dir))
		return false;
	if (dir && strcmp(dir, sipconf_dir_name(type)))
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s.direction must be '%s' here", p,
				  sipconf_dir_name(type));
	rules = json_object_get(obj, "headers");
	if (!json_is_array(rules))
		return jsonv_fail(v, rules ? "INVALID_FIELD" : "MISSING_FIELD",
				  "%s.headers must be an array", p);
	if (json_array_size(rules) > 50)
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s.headers: at most 50 mappings", p);
	json_array_foreach(rules, i, rule)
	{
		snprintf(rp, sizeof(rp), "%s.headers[%zu]", p, i);
		if (!header_rule_parse(rule, rp, v))
			return false;
	}
	d->headers = json_deep_copy(obj);
	if (!json_object_get(d->headers, "direction"))
		json_object_set_new(d->headers, "direction",
				    json_string(sipconf_dir_name(type)));
	return true;
}

static bool register_parse(struct sipconf_direction *d, const json_t *obj,
			   const char *path, struct jsonv *v)
{
	static const char *const keys[] = {"username", "password", NULL};
	char p[96];

	snprintf(p, sizeof(p), "%s.register_auth", path);
	if (!jsonv_object(v, obj, p, keys) ||
	    !jsonv_string(v, obj, p, "username", true, &d->register_username) ||
	    !jsonv_string(v, obj, p, "password", true, &d->register_password))
		return false;
	if (!d->register_username[0])
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s.username must not be empty", p);
	if (strlen(d->register_password) < 8)
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s.password must be at least 8 characters",
				  p);
	return true;
}

void sipconf_direction_reset(struct sipconf_direction *d)
{
	json_decref(d->options);
	json_decref(d->headers);
	memset(d, 0, sizeof(*d));
}

bool sipconf_direction_parse(struct sipconf_direction *d,
			     enum sipconf_dir *typep, const json_t *obj,
			     const char *path, bool bound_to_trunk,
			     struct jsonv *v)
{
	static const char *const in_keys[] = {
	    "type",    "auth_mode", "register_auth", "sip_endpoint", "headers",
	    "options", NULL};
	static const char *const out_keys[] = {"type", "sip_endpoint",
					       "headers", "options", NULL};
	static const char *const types[] = {"inbound", "outbound", NULL};
	const char *type = NULL, *mode = "ip";
	const json_t *m;
	enum sipconf_dir t;

	if (!json_is_object(obj))
		return jsonv_fail(v, "INVALID_FIELD", "%s must be an object",
				  path);
	if (!jsonv_string(v, obj, path, "type", true, &type) ||
	    !jsonv_enum(v, path, "type", type, types))
		return false;
	t = strcmp(type, "inbound") ? SIPCONF_OUTBOUND : SIPCONF_INBOUND;
	if (!jsonv_object(v, obj, path,
			  t == SIPCONF_INBOUND ? in_keys : out_keys))
		return false;

	sipconf_direction_reset(d);
	d->present = true;
	d->options = json_object();
	if (!jsonv_string(v, obj, path, "sip_endpoint", false,
			  &d->sip_endpoint))
		return false;
	if (d->sip_endpoint && !d->sip_endpoint[0])
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s.sip_endpoint must not be empty", path);
	if (t == SIPCONF_OUTBOUND && !d->sip_endpoint && !bound_to_trunk)
		return jsonv_fail(v, "MISSING_FIELD",
				  "%s.sip_endpoint is required for outbound "
				  "unless trunk_id is given",
				  path);

	m = json_object_get(obj, "options");
	if (m && !json_is_null(m) &&
	    !options_parse(d, m, path, t == SIPCONF_INBOUND, v))
		return false;
	m = json_object_get(obj, "headers");
	if (m && !json_is_null(m) && !headers_parse(d, m, path, t, v))
		return false;

	if (t == SIPCONF_INBOUND) {
		if (!jsonv_string(v, obj, path, "auth_mode", false, &mode) ||
		    !jsonv_enum(v, path, "auth_mode", mode, auth_modes))
			return false;
		m = json_object_get(obj, "register_auth");
		if (!strcmp(mode, "register")) {
			if (!m || json_is_null(m))
				return jsonv_fail(v, "MISSING_FIELD",
						  "%s.register_auth is required"
						  " when auth_mode is register",
						  path);
			if (!register_parse(d, m, path, v))
				return false;
		} else if (m && !json_is_null(m)) {
			return jsonv_fail(v, "INVALID_FIELD",
					  "%s.register_auth needs auth_mode "
					  "register",
					  path);
		}
		json_object_set_new(d->options, "auth_mode", json_string(mode));
	}

	*typep = t;
	return true;
}

bool sipconf_trunk_parse(struct sipconf_trunk *t, const json_t *obj,
			 bool creating, struct jsonv *v)
{
	static const char *const keys[] = {"name", "sip_endpoint", "options",
					   NULL};
	const json_t *m = json_object_get(obj, "options");

	sipconf_direction_reset(&t->d);
	t->d.options = json_object();
	if (!json_is_object(obj))
		return jsonv_fail(v, "INVALID_FIELD",
				  "the body must be a JSON object");
	if (!jsonv_object(v, obj, "", keys) ||
	    !jsonv_string(v, obj, "", "name", creating, &t->name) ||
	    !jsonv_string(v, obj, "", "sip_endpoint", false,
			  &t->d.sip_endpoint))
		return false;
	if (t->name && (!t->name[0] || strlen(t->name) > 100))
		return jsonv_fail(v, "INVALID_FIELD",
				  "name must be 1 to 100 characters");
	if (t->d.sip_endpoint && !t->d.sip_endpoint[0])
		return jsonv_fail(v, "INVALID_FIELD",
				  "sip_endpoint must not be empty");
	return !m || json_is_null(m) ||
	       options_parse(&t->d, m, "trunk", false, v);
}

static void attach_destructor(void *arg)
{
	struct sipconf_attach *att = arg;

	sipconf_direction_reset(&att->dir[0]);
	sipconf_direction_reset(&att->dir[1]);
	json_decref(att->body);
}

static bool numbers_parse(struct sipconf_attach *att, struct jsonv *v)
{
	const json_t *one = json_object_get(att->body, "phone_number");
	const json_t *many = json_object_get(att->body, "phone_numbers");
	const json_t *n;
	size_t i;

	if (json_is_null(one))
		one = NULL;
	if (json_is_null(many))
		many = NULL;
	if (one && many)
		return jsonv_fail(v, "INVALID_FIELD",
				  "use either phone_number or phone_numbers, "
				  "not both");
	if (!one && !many)
		return jsonv_fail(v, "MISSING_FIELD",
				  "phone_number or phone_numbers is required");
	if (one && !json_is_string(one))
		return jsonv_fail(v, "INVALID_FIELD",
				  "phone_number must be a string");
	if (many && !json_is_array(many))
		return jsonv_fail(v, "INVALID_FIELD",
				  "phone_numbers must be an array of strings");
	if (many && !json_array_size(many))
		return jsonv_fail(v, "MISSING_FIELD",
				  "phone_numbers must not be empty");
	if (many && json_array_size(many) > SIPCONF_MAX_NUMBERS)
		return jsonv_fail(v, "TOO_MANY_NUMBERS",
				  "at most %d numbers can be attached in one "
				  "request (got %zu)",
				  SIPCONF_MAX_NUMBERS, json_array_size(many));

	for (i = 0; i < (one ? 1 : json_array_size(many)); i++) {
		struct sipconf_number *num = &att->numbers[i];

		n = one ? one : json_array_get(many, i);
		if (!json_is_string(n))
			return jsonv_fail(v, "INVALID_FIELD",
					  "phone_numbers[%zu] must be a string",
					  i);
		num->input = json_string_value(n);
		if (sipconf_number_normalize(num->input, att->trunk_id != NULL,
					     num->number)) {
			num->error_code = "INVALID_PHONE_NUMBER";
			num->error_message =
			    att->trunk_id ? "not an E.164 number, DID or "
					    "extension"
					  : "not a valid E.164 phone number";
		}
		for (size_t j = 0; j < i && !num->error_code; j++) {
			if (!att->numbers[j].error_code &&
			    !strcmp(att->numbers[j].number, num->number)) {
				num->error_code = "DUPLICATE_NUMBER";
				num->error_message =
				    "listed more than once in this request";
			}
		}
	}
	att->numberc = i;
	return true;
}

int sipconf_attach_parse(struct sipconf_attach **attp, json_t *body,
			 struct jsonv *v)
{
	static const char *const keys[] = {"phone_number", "phone_numbers",
					   "directions",   "service",
					   "trunk_id",	   NULL};
	struct sipconf_attach *att;
	const char *service = NULL;
	const json_t *dirs, *d;
	size_t i;
	int err = EINVAL;

	att = mem_zalloc(sizeof(*att), attach_destructor);
	if (!att)
		return ENOMEM;
	att->body = json_incref(body);

	if (!jsonv_object(v, body, "", keys) ||
	    !jsonv_string(v, body, "", "service", true, &service) ||
	    !jsonv_enum(v, "", "service", service,
			(const char *const[]){"sip", NULL}) ||
	    !jsonv_string(v, body, "", "trunk_id", false, &att->trunk_id) ||
	    !numbers_parse(att, v))
		goto out;

	dirs = json_object_get(body, "directions");
	if (!dirs || json_is_null(dirs)) {
		jsonv_fail(v, "MISSING_FIELD", "directions is required");
		goto out;
	}
	if (!json_is_array(dirs) || !json_array_size(dirs)) {
		jsonv_fail(v, "INVALID_FIELD",
			   "directions must be a non-empty array of objects");
		goto out;
	}
	if (json_array_size(dirs) > 2) {
		jsonv_fail(v, "INVALID_FIELD",
			   "directions: at most one "
			   "inbound and one outbound object");
		goto out;
	}
	json_array_foreach(dirs, i, d)
	{
		struct sipconf_direction tmp = {0};
		enum sipconf_dir t;
		char path[40];

		snprintf(path, sizeof(path), "directions[%zu]", i);
		if (!sipconf_direction_parse(&tmp, &t, d, path,
					     att->trunk_id != NULL, v)) {
			sipconf_direction_reset(&tmp);
			goto out;
		}
		if (att->dir[t].present) {
			sipconf_direction_reset(&tmp);
			jsonv_fail(v, "INVALID_FIELD",
				   "directions: %s is given twice",
				   sipconf_dir_name(t));
			goto out;
		}
		att->dir[t] = tmp;
	}
	err = 0;

out:
	if (err)
		mem_deref(att);
	else
		*attp = att;
	return err;
}
