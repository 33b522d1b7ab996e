/**
 * @file registrations.h  REGISTER bindings at customers' PBXs
 *
 * An inbound direction with auth_mode "register" makes trunkd register at
 * the direction's sip_endpoint (libre sipreg): user
 * options.register_username, password the one derived for the PBX and
 * returned at attach (register_password_for_pbx), Contact user the number,
 * so the calls the PBX sends to the binding route like any inbound call.
 * libre refreshes the binding before it expires and retries failures with
 * back-off.  The set of bindings follows the configuration map: it is
 * reconciled each second the map has changed (a changed configuration
 * starts its binding over; a removed one un-registers).
 *
 * Ownership: registrations_alloc() returns a mem object holding a ref to
 * the map; the struct sip is borrowed and must outlive it.
 */
#ifndef TRUNKD_SIP_REGISTRATIONS_H
#define TRUNKD_SIP_REGISTRATIONS_H

struct registrations;
struct sip;
struct sipmap;
struct json_t;

int registrations_alloc(struct registrations **regsp, struct sip *sip,
			struct sipmap *map, const char *server_secret,
			unsigned expires);
/* {state, registrar, username, registered_at, expires_at, last_code,
 * last_error} of number's binding (a new reference), or NULL */
struct json_t *registrations_state(const struct registrations *regs,
				   const char *number);

#endif
