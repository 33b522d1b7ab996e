/** @file advconf.c  Failover, codec and alert configuration (see advconf.h) */
#include <stdio.h>
#include <string.h>
#include "core/advconf.h"

/* parent.key must be an array of distinct strings from choices */
static bool string_set(struct jsonv *v, const json_t *arr, const char *parent,
		       const char *key, const char *const choices[],
		       bool nonempty)
{
	char path[48];
	size_t i, j;
	json_t *e;

	snprintf(path, sizeof(path), "%s.%s", parent, key);
	if (!json_is_array(arr))
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s must be an array of strings", path);
	if (nonempty && !json_array_size(arr))
		return jsonv_fail(v, "INVALID_FIELD", "%s must not be empty",
				  path);
	json_array_foreach(arr, i, e)
	{
		char p[80];

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (!json_is_string(e))
			return jsonv_fail(v, "INVALID_FIELD",
					  "%s must be a string", p);
		if (!jsonv_enum(v, parent, key, json_string_value(e), choices))
			return false;
		for (j = 0; j < i; j++)
			if (json_equal(e, json_array_get(arr, j)))
				return jsonv_fail(v, "INVALID_FIELD",
						  "%s: '%s' is listed twice",
						  path, json_string_value(e));
	}
	return true;
}

static bool endpoint_parse(json_t *out, const json_t *ep, size_t idx,
			   struct jsonv *v)
{
	static const char *const keys[] = {"host", "port", "transport",
					   "priority", NULL};
	static const char *const transports[] = {"udp", "tcp", "tls", NULL};
	const char *host = NULL, *transport = "udp";
	long long port = 0, prio = (long long)idx + 1;
	bool has_port;
	char p[48];

	snprintf(p, sizeof(p), "failover_config.endpoints[%zu]", idx);
	if (!json_is_object(ep))
		return jsonv_fail(v, "INVALID_FIELD", "%s must be an object",
				  p);
	if (!jsonv_object(v, ep, p, keys) ||
	    !jsonv_string(v, ep, p, "host", true, &host) ||
	    !jsonv_string(v, ep, p, "transport", false, &transport) ||
	    !jsonv_enum(v, p, "transport", transport, transports) ||
	    !jsonv_int(v, ep, p, "port", 1, 65535, &port, &has_port) ||
	    !jsonv_int(v, ep, p, "priority", 1, 100, &prio, NULL))
		return false;
	if (!host[0] || strlen(host) > 253 || strpbrk(host, " \t;,<>@/"))
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s.host must be a host name or IP address",
				  p);
	if (!has_port)
		port = strcmp(transport, "tls") ? 5060 : 5061;
	for (size_t i = 0; i < json_array_size(out); i++)
		if (json_integer_value(json_object_get(json_array_get(out, i),
						       "priority")) == prio)
			return jsonv_fail(v, "INVALID_FIELD",
					  "%s.priority %lld is used twice", p,
					  prio);
	json_array_append_new(out, json_pack("{s:s, s:I, s:s, s:I}", "host",
					     host, "port", (json_int_t)port,
					     "transport", transport, "priority",
					     (json_int_t)prio));
	return true;
}

json_t *advconf_failover(const json_t *obj, struct jsonv *v)
{
	static const char *const keys[] = {"enabled",	      "endpoints",
					   "triggers",	      "failback",
					   "timeout_seconds", NULL};
	static const char *const triggers[] = {"unreachable", "auth_failure",
					       "timeout", NULL};
	static const char *const failbacks[] = {"auto", "manual", NULL};
	const char *p = "failover_config", *failback = "auto";
	const json_t *eps = json_object_get(obj, "endpoints");
	const json_t *trig = json_object_get(obj, "triggers");
	json_t *out = json_array();
	bool enabled = false, has_enabled;
	long long timeout = 0;
	json_t *out_cfg;
	size_t i;
	json_t *e;

	if (!jsonv_object(v, obj, p, keys) ||
	    !jsonv_bool(v, obj, p, "enabled", &enabled, &has_enabled) ||
	    !jsonv_string(v, obj, p, "failback", false, &failback) ||
	    !jsonv_enum(v, p, "failback", failback, failbacks) ||
	    !jsonv_int(v, obj, p, "timeout_seconds", 1, 30, &timeout, NULL))
		goto fail;
	if (eps && !json_is_null(eps)) {
		if (!json_is_array(eps)) {
			jsonv_fail(v, "INVALID_FIELD",
				   "%s.endpoints must be an array", p);
			goto fail;
		}
		if (json_array_size(eps) > ADVCONF_MAX_ENDPOINTS) {
			jsonv_fail(v, "TOO_MANY_CONFIGURATIONS",
				   "%s.endpoints: at most %d (a number has at "
				   "most 10 SIP configurations)",
				   p, ADVCONF_MAX_ENDPOINTS);
			goto fail;
		}
		json_array_foreach(eps, i, e)
		{
			if (!endpoint_parse(out, e, i, v))
				goto fail;
		}
	}
	if (trig && !json_is_null(trig) &&
	    !string_set(v, trig, p, "triggers", triggers, false))
		goto fail;
	if (enabled && !json_array_size(out)) {
		jsonv_fail(v, "INVALID_FIELD",
			   "%s.endpoints: failover needs at least one endpoint "
			   "when enabled",
			   p);
		goto fail;
	}
	out_cfg = json_pack("{s:b, s:o, s:o, s:s}", "enabled",
			    has_enabled ? enabled : json_array_size(out) > 0,
			    "endpoints", out, "triggers",
			    trig && !json_is_null(trig)
				? json_deep_copy(trig)
				: json_pack("[s,s]", "unreachable", "timeout"),
			    "failback", failback);
	if (out_cfg && timeout)
		json_object_set_new(out_cfg, "timeout_seconds",
				    json_integer(timeout));
	return out_cfg;
fail:
	json_decref(out);
	return NULL;
}

json_t *advconf_codecs(const json_t *obj, struct jsonv *v)
{
	static const char *const keys[] = {"codecs", "transcode", NULL};
	static const char *const codecs[] = {"PCMU", "PCMA",  "G.729",
					     "Opus", "G.722", NULL};
	const json_t *list = json_object_get(obj, "codecs");
	bool transcode = false;

	if (!jsonv_object(v, obj, "codec_config", keys) ||
	    !jsonv_bool(v, obj, "codec_config", "transcode", &transcode, NULL))
		return NULL;
	if (list && !json_is_null(list) &&
	    !string_set(v, list, "codec_config", "codecs", codecs, true))
		return NULL;
	return json_pack("{s:o, s:b}", "codecs",
			 list && !json_is_null(list)
			     ? json_deep_copy(list)
			     : json_pack("[s,s]", "PCMU", "PCMA"),
			 "transcode", transcode);
}

static bool thresholds_parse(json_t *out, const json_t *obj, struct jsonv *v)
{
	static const struct {
		const char *key;
		long long min, max, dflt;
	} t[] = {
	    {"unreachable_minutes", 1, 10080, 5},
	    {"failure_rate_percent", 1, 100, 20},
	    {"failure_rate_window_minutes", 1, 10080, 30},
	    {"response_time_ms", 1, 60000, 500},
	};
	static const char *const keys[] = {
	    "unreachable_minutes", "failure_rate_percent",
	    "failure_rate_window_minutes", "response_time_ms", NULL};
	const char *p = "alert_config.thresholds";

	if (obj && !jsonv_object(v, obj, p, keys))
		return false;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		long long n = t[i].dflt;

		if (obj && !jsonv_int(v, obj, p, t[i].key, t[i].min, t[i].max,
				      &n, NULL))
			return false;
		json_object_set_new(out, t[i].key, json_integer(n));
	}
	return true;
}

static bool channels_parse(json_t *out, const json_t *obj, struct jsonv *v)
{
	static const char *const keys[] = {"email", "sms", "webhook", NULL};
	const char *p = "alert_config.channels", *hook = NULL;
	bool email = false, sms = false;

	if (obj && (!jsonv_object(v, obj, p, keys) ||
		    !jsonv_bool(v, obj, p, "email", &email, NULL) ||
		    !jsonv_bool(v, obj, p, "sms", &sms, NULL) ||
		    !jsonv_string(v, obj, p, "webhook", false, &hook)))
		return false;
	if (hook &&
	    ((strncmp(hook, "https://", 8) && strncmp(hook, "http://", 7)) ||
	     strlen(hook) > 2048 || strpbrk(hook, " \t\r\n") ||
	     !strchr(hook, ':')[3]))
		return jsonv_fail(v, "INVALID_FIELD",
				  "%s.webhook must be an http(s) URL", p);
	json_object_set_new(out, "email", json_boolean(email));
	json_object_set_new(out, "sms", json_boolean(sms));
	json_object_set_new(out, "webhook",
			    hook ? json_string(hook) : json_null());
	return true;
}

json_t *advconf_alerts(const json_t *obj, struct jsonv *v)
{
	static const char *const keys[] = {"enabled", "thresholds", "channels",
					   NULL};
	const json_t *th = json_object_get(obj, "thresholds");
	const json_t *ch = json_object_get(obj, "channels");
	json_t *thresholds = json_object(), *channels = json_object();
	bool enabled = false;

	if (json_is_null(th))
		th = NULL;
	if (json_is_null(ch))
		ch = NULL;
	if (!jsonv_object(v, obj, "alert_config", keys) ||
	    !jsonv_bool(v, obj, "alert_config", "enabled", &enabled, NULL) ||
	    (th && !json_is_object(th) &&
	     !jsonv_fail(v, "INVALID_FIELD",
			 "alert_config.thresholds must be an object")) ||
	    (ch && !json_is_object(ch) &&
	     !jsonv_fail(v, "INVALID_FIELD",
			 "alert_config.channels must be an object")) ||
	    !thresholds_parse(thresholds, th, v) ||
	    !channels_parse(channels, ch, v)) {
		json_decref(thresholds);
		json_decref(channels);
		return NULL;
	}
	return json_pack("{s:b, s:o, s:o}", "enabled", enabled, "thresholds",
			 thresholds, "channels", channels);
}
