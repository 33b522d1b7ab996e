/** @file portcheck.c  The built-in portability rules */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "core/portcheck.h"

static bool nanp_toll_free(const char *e164)
{
	static const char *const npa[] = {"800", "833", "844", "855",
					  "866", "877", "888"};

	for (size_t i = 0; i < sizeof(npa) / sizeof(npa[0]); i++) {
		if (!strncmp(e164 + 2, npa[i], 3))
			return true;
	}
	return false;
}

void portcheck_judge(const char *e164, bool active, bool open_port,
		     const struct port_rule *rule, struct port_verdict *v)
{
	bool nanp = e164[0] == '+' && e164[1] == '1' && strlen(e164) == 12;

	v->reason[0] = '\0';
	v->pin_required = false;
	if (rule) {
		v->portable = rule->portable;
		v->number_type = rule->number_type;
		v->pin_required = rule->pin_required;
		if (!rule->portable)
			snprintf(v->reason, sizeof(v->reason), "%s",
				 rule->reason && rule->reason[0]
				     ? rule->reason
				     : "not portable by the operator's rules");
	} else if (nanp) {
		v->portable = true;
		v->number_type = nanp_toll_free(e164) ? "toll_free" : "local";
	} else {
		v->portable = false;
		v->number_type = "unknown";
		snprintf(v->reason, sizeof(v->reason),
			 "no porting agreement covers this country");
	}
	if (active) {
		v->portable = false;
		snprintf(v->reason, sizeof(v->reason),
			 "the number is already active in trunkd");
	} else if (open_port) {
		v->portable = false;
		snprintf(v->reason, sizeof(v->reason),
			 "a port request for this number is already open");
	}
}

int portcheck_date(const char *date, time_t now, char why[160])
{
	struct tm tm = {0}, back;
	char tail;
	time_t t, today = now - now % 86400;
	long days;

	if (!date ||
	    sscanf(date, "%4d-%2d-%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tail) != 3 ||
	    strlen(date) != 10) {
		snprintf(why, 160, "target_port_date must be YYYY-MM-DD");
		return EINVAL;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	gmtime_r(&t, &back);
	if (back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon ||
	    back.tm_mday != tm.tm_mday) {
		snprintf(why, 160, "target_port_date %s is not a date", date);
		return EINVAL;
	}
	days = (long)((t - today) / 86400);
	if (days < 7) {
		snprintf(why, 160,
			 "target_port_date must be at least 7 days from today "
			 "(%s is %ld day%s away)",
			 date, days, days == 1 || days == -1 ? "" : "s");
		return EINVAL;
	}
	if (days > 365) {
		snprintf(why, 160,
			 "target_port_date must be within a year (%s)", date);
		return EINVAL;
	}
	if (back.tm_wday == 0 || back.tm_wday == 6) {
		snprintf(
		    why, 160,
		    "target_port_date %s is a %s: ports happen on business "
		    "days",
		    date, back.tm_wday ? "Saturday" : "Sunday");
		return EINVAL;
	}
	return 0;
}
