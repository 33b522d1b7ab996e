/** @file hdrmap.c  Header mappings (see hdrmap.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/hdrmap.h"

#define UUI_DATA_MAX 128 /* bytes carried in User-to-User */

bool hdrmap_header_ok(const char *name)
{
	static const char *const owned[] = {"Via",
					    "From",
					    "To",
					    "Call-ID",
					    "CSeq",
					    "Contact",
					    "Max-Forwards",
					    "Content-Type",
					    "Content-Length",
					    "Route",
					    "Record-Route",
					    "Authorization",
					    "Proxy-Authorization",
					    "Session-Expires",
					    "Require",
					    "Supported",
					    "Allow",
					    "User-Agent",
					    "X-Call-Id",
					    "v",
					    "f",
					    "t",
					    "i",
					    "m",
					    "c",
					    "l",
					    NULL};
	size_t n = name ? strlen(name) : 0;

	if (!n || n > 64 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-_.!%*+`'~") != n)
		return false;
	for (size_t i = 0; owned[i]; i++)
		if (!strcasecmp(name, owned[i]))
			return false;
	return true;
}

static const char *rule_str(const json_t *rule, const char *key)
{
	return json_string_value(json_object_get(rule, key));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* data (len bytes) → text in out; false if it does not decode */
static bool uui_decode(const char *data, size_t len, const char *enc, char *out,
		       size_t size)
{
	unsigned acc = 0, bits = 0;
	size_t n = 0;

	if (!strcmp(enc, "ascii")) {
		if (len >= size)
			return false;
		memcpy(out, data, len);
		out[len] = '\0';
		return true;
	}
	if (!strcmp(enc, "hex")) {
		if (len % 2 || len / 2 >= size)
			return false;
		for (size_t i = 0; i < len; i += 2) {
			int hi = hexval(data[i]), lo = hexval(data[i + 1]);

			if (hi < 0 || lo < 0)
				return false;
			out[n++] = (char)(hi << 4 | lo);
		}
		out[n] = '\0';
		return true;
	}
	/* base64 */
	for (size_t i = 0; i < len && data[i] != '='; i++) {
		const char *p = strchr(b64, data[i]);

		if (!p || !data[i])
			return false;
		acc = acc << 6 | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= size)
				return false;
			out[n++] = (char)(acc >> bits & 0xff);
		}
	}
	out[n] = '\0';
	return true;
}

static void uui_encode(const char *text, const char *enc, char *out,
		       size_t size)
{
	size_t len = strlen(text), n = 0;

	if (len > UUI_DATA_MAX)
		len = UUI_DATA_MAX;
	if (!strcmp(enc, "ascii")) {
		snprintf(out, size, "%.*s", (int)len, text);
		return;
	}
	if (!strcmp(enc, "hex")) {
		for (size_t i = 0; i < len && n + 3 <= size; i++)
			n += (size_t)snprintf(out + n, size - n, "%02X",
					      (unsigned char)text[i]);
		out[n] = '\0';
		return;
	}
	for (size_t i = 0; i < len && n + 5 <= size; i += 3) {
		unsigned v = (unsigned char)text[i] << 16;
		size_t k = len - i < 3 ? len - i : 3;

		if (k > 1)
			v |= (unsigned char)text[i + 1] << 8;
		if (k > 2)
			v |= (unsigned char)text[i + 2];
		out[n++] = b64[v >> 18 & 63];
		out[n++] = b64[v >> 12 & 63];
		out[n++] = k > 1 ? b64[v >> 6 & 63] : '=';
		out[n++] = k > 2 ? b64[v & 63] : '=';
	}
	out[n] = '\0';
}

/* "data;encoding=hex;purpose=x": the value of parameter name, or "" */
static void uui_param(const char *hv, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	const char *p = strchr(hv, ';');

	out[0] = '\0';
	while (p) {
		p++;
		p += strspn(p, " ");
		if (!strncasecmp(p, name, nl) && p[nl] == '=') {
			snprintf(out, size, "%.*s",
				 (int)strcspn(p + nl + 1, "; "), p + nl + 1);
			return;
		}
		p = strchr(p, ';');
	}
}

/* text that is not UTF-8 (binary UUI data) is not kept */
static void set_var(json_t *vars, const char *name, const char *text)
{
	json_t *s = json_string(text);

	if (s)
		json_object_set_new(vars, name, s);
}

static void inbound_uui(const json_t *rule, hdrmap_get_h *get, void *arg,
			json_t *vars)
{
	const char *target = rule_str(rule, "target");
	const char *want = rule_str(rule, "purpose");
	char hv[HDRMAP_VALUE_MAX * 2 + 64], enc[16], purpose[64];
	char text[HDRMAP_VALUE_MAX];
	size_t len;

	if (!target || !get("User-to-User", hv, sizeof(hv), arg))
		return;
	uui_param(hv, "encoding", enc, sizeof(enc));
	uui_param(hv, "purpose", purpose, sizeof(purpose));
	if (want && purpose[0] && strcasecmp(want, purpose))
		return;
	if (!enc[0]) /* RFC 7433: hex unless said otherwise */
		snprintf(enc, sizeof(enc), "%s",
			 rule_str(rule, "encoding") ? rule_str(rule, "encoding")
						    : "hex");
	len = strcspn(hv, ";");
	while (len && hv[len - 1] == ' ')
		len--;
	if (uui_decode(hv, len, enc, text, sizeof(text)))
		set_var(vars, target, text);
}

void hdrmap_inbound(const json_t *cfg, hdrmap_get_h *get, void *arg,
		    json_t *vars)
{
	const json_t *rules = json_object_get(cfg, "headers"), *rule;
	char value[HDRMAP_VALUE_MAX];
	size_t i;

	json_array_foreach(rules, i, rule)
	{
		const char *type = rule_str(rule, "type");
		const char *key = rule_str(rule, "key");
		const char *var = rule_str(rule, "value");

		if (type && !strcmp(type, "uui"))
			inbound_uui(rule, get, arg, vars);
		else if (key && var && get(key, value, sizeof(value), arg))
			set_var(vars, var, value);
	}
}

json_t *hdrmap_passthrough(const json_t *cfg, hdrmap_get_h *get, void *arg)
{
	const json_t *rules = json_object_get(cfg, "headers"), *rule;
	char value[HDRMAP_VALUE_MAX];
	json_t *o = json_object();
	size_t i;

	json_array_foreach(rules, i, rule)
	{
		const char *type = rule_str(rule, "type");
		const char *key = rule_str(rule, "key");

		if (o && json_is_true(json_object_get(rule, "passthrough")) &&
		    !(type && strcmp(type, "custom")) && key &&
		    hdrmap_header_ok(key) &&
		    get(key, value, sizeof(value), arg))
			json_object_set_new(o, key, json_string(value));
	}
	return o;
}

/* append "name: value\r\n" to *buf (size *cap, used *len) */
static bool append(char **buf, size_t *len, size_t *cap, const char *name,
		   const char *value)
{
	size_t need = strlen(name) + strlen(value) + 5;
	char *nb;

	if (*len + need > *cap) {
		*cap = (*len + need) * 2;
		nb = realloc(*buf, *cap);
		if (!nb)
			return false;
		*buf = nb;
	}
	*len += (size_t)snprintf(*buf + *len, *cap - *len, "%s: %s\r\n", name,
				 value);
	return true;
}

static bool value_ok(const char *v)
{
	return v && strlen(v) < HDRMAP_VALUE_MAX && !strpbrk(v, "\r\n");
}

char *hdrmap_outbound(const json_t *cfg, const json_t *vars)
{
	const json_t *rules = json_object_get(cfg, "headers"), *rule;
	size_t len = 0, cap = 256, i;
	char *buf = calloc(1, cap), uui[UUI_DATA_MAX * 2 + 64];
	char data[UUI_DATA_MAX * 2 + 1];
	bool ok = buf != NULL;

	json_array_foreach(rules, i, rule)
	{
		const char *type = rule_str(rule, "type");
		const char *key = rule_str(rule, "key");
		const char *name = rule_str(rule, "value");
		const char *enc = rule_str(rule, "encoding");
		const char *purpose = rule_str(rule, "purpose");
		const char *v;

		if (!ok)
			break;
		if (type && !strcmp(type, "uui")) {
			v = json_string_value(
			    json_object_get(vars, rule_str(rule, "target")));
			if (!v)
				v = json_string_value(json_object_get(
				    vars, rule_str(rule, "content")));
			if (!v)
				v = rule_str(rule, "content");
			if (!value_ok(v))
				continue;
			enc = enc ? enc : "hex";
			uui_encode(v, enc, data, sizeof(data));
			snprintf(uui, sizeof(uui), "%s;encoding=%s%s%s", data,
				 enc, purpose ? ";purpose=" : "",
				 purpose ? purpose : "");
			ok = append(&buf, &len, &cap, "User-to-User", uui);
			continue;
		}
		if (json_is_true(json_object_get(rule, "passthrough")))
			continue;
		v = key ? json_string_value(json_object_get(vars, key)) : NULL;
		if (v && value_ok(v) && hdrmap_header_ok(name))
			ok = append(&buf, &len, &cap, name, v);
	}
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}
