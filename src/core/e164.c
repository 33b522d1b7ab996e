/** @file e164.c  Normalisation of typed phone numbers to E.164 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "core/e164.h"

static bool is_separator(char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

int e164_normalize(const char *in, size_t len, char out[E164_MAX + 1])
{
	char digits[E164_MAX + 1];
	size_t n = 0, i = 0;
	bool plus = false;

	if (!in)
		return EINVAL;
	while (i < len && in[i] == ' ')
		i++;
	if (i < len && in[i] == '+') {
		plus = true;
		i++;
	}
	for (; i < len; i++) {
		char c = in[i];

		if (c >= '0' && c <= '9') {
			if (n == E164_MAX - 1)
				return EINVAL;
			digits[n++] = c;
		} else if (!is_separator(c)) {
			return EINVAL;
		}
	}
	digits[n] = '\0';

	if (!plus && n == 10) {
		memmove(digits + 1, digits, n + 1);
		digits[0] = '1';
		n++;
	}
	if (n < 8 || n > 15 || digits[0] == '0')
		return EINVAL;
	if (!plus && n < 11)
		return EINVAL;
	if (digits[0] == '1' && (n != 11 || digits[1] < '2'))
		return EINVAL;

	out[0] = '+';
	memcpy(out + 1, digits, n + 1);
	return 0;
}
