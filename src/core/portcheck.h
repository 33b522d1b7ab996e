/**
 * @file portcheck.h  Is a number portable into trunkd?  The built-in rules
 *
 * Built in: North American numbers (+1 NXX) are portable, toll-free when
 * the area code is 800, 833, 844, 855, 866, 877 or 888, local otherwise;
 * elsewhere nothing is portable unless the operator's rules table
 * (port_rules, longest prefix) says so.  An operator rule, when one
 * matches, replaces the built-in verdict.  A number already active in
 * trunkd, or in an open port request, is never portable.
 */
#ifndef TRUNKD_CORE_PORTCHECK_H
#define TRUNKD_CORE_PORTCHECK_H

#include <stdbool.h>
#include <time.h>

struct port_rule {
	bool portable;
	const char *number_type; /* local, toll_free, mobile, unknown */
	bool pin_required;
	const char *reason; /* when not portable; may be NULL */
};

struct port_verdict {
	bool portable;
	const char *number_type; /* static or the rule's */
	bool pin_required;
	char reason[160]; /* "" when portable */
};

/* e164: a normalized number; rule: the operator's matching rule or NULL */
void portcheck_judge(const char *e164, bool active, bool open_port,
		     const struct port_rule *rule, struct port_verdict *v);

/*
 * A target port date ("YYYY-MM-DD"): a real date, a business day (Monday
 * to Friday; public holidays are not known), at least 7 and at most 365
 * days after now's UTC date.  0, or EINVAL with why filled.
 */
int portcheck_date(const char *date, time_t now, char why[160]);

#endif
