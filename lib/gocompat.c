/* gocompat.c: Go's time layouts, durations, float and byte size formats,
 * as Promtail's stages use them (see gocompat.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "entry.h"
#include "gocompat.h"

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --- durations, sizes, floats --------------------------------------- */

int
go_duration(const char *s, size_t n, int64_t *ns)
{
	static const struct { const char *u; double mul; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 },
		{ "\xce\xbcs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
		{ "m", 60e9 }, { "h", 3600e9 },
	};
	size_t i = 0;
	int neg = 0;
	long double total = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (n - i == 1 && s[i] == '0') {
		*ns = 0;
		return 0;
	}
	if (i >= n)
		return -1;
	while (i < n) {
		long double v = 0, scale = 1;
		int pre = 0, post = 0;
		size_t k, u;

		if (!(s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
			return -1;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (s[i++] - '0');
			pre = 1;
		}
		if (i < n && s[i] == '.') {
			i++;
			while (i < n && s[i] >= '0' && s[i] <= '9') {
				scale /= 10;
				v += (s[i++] - '0') * scale;
				post = 1;
			}
		}
		if (!pre && !post)
			return -1;
		for (k = i; k < n && s[k] != '.' && !(s[k] >= '0' &&
		    s[k] <= '9'); k++)
			;
		if (k == i)
			return -1;
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (strlen(units[u].u) == k - i &&
			    memcmp(units[u].u, s + i, k - i) == 0)
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[u].mul;
		if (total > 9223372036854775807.0L)
			return -1;
		i = k;
	}
	*ns = (int64_t)total;
	if (neg)
		*ns = -*ns;
	return 0;
}

int
go_bytes(const char *s, uint64_t *v)
{
	static const struct { const char *u; double m; } t[] = {
		{ "", 1 }, { "b", 1 },
		{ "kib", 1024.0 }, { "kb", 1e3 }, { "ki", 1024.0 },
		{ "k", 1e3 },
		{ "mib", 1048576.0 }, { "mb", 1e6 }, { "mi", 1048576.0 },
		{ "m", 1e6 },
		{ "gib", 1073741824.0 }, { "gb", 1e9 }, { "gi", 1073741824.0 },
		{ "g", 1e9 },
		{ "tib", 1099511627776.0 }, { "tb", 1e12 },
		{ "ti", 1099511627776.0 }, { "t", 1e12 },
		{ "pib", 1125899906842624.0 }, { "pb", 1e15 },
		{ "pi", 1125899906842624.0 }, { "p", 1e15 },
		{ "eib", 1152921504606846976.0 }, { "eb", 1e18 },
		{ "ei", 1152921504606846976.0 }, { "e", 1e18 },
	};
	char num[64], unit[16], *end;
	size_t i = 0, k = 0, u, a, b;
	double f;

	for (; s[i] != '\0' && ((s[i] >= '0' && s[i] <= '9') ||
	    s[i] == '.' || s[i] == ','); i++)
		if (s[i] != ',' && k + 1 < sizeof(num))
			num[k++] = s[i];
	num[k] = '\0';
	if (k == 0)
		return -1;
	errno = 0;
	f = strtod(num, &end);
	if (*end != '\0' || errno != 0)
		return -1;
	a = i;
	b = strlen(s);
	while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\n'))
		a++;
	while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' ||
	    s[b - 1] == '\n'))
		b--;
	if (b - a >= sizeof(unit))
		return -1;
	for (k = 0; a + k < b; k++) {
		char c = s[a + k];

		unit[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	unit[k] = '\0';
	for (u = 0; u < sizeof(t) / sizeof(t[0]); u++)
		if (strcmp(t[u].u, unit) == 0)
			break;
	if (u == sizeof(t) / sizeof(t[0]))
		return -1;
	f *= t[u].m;
	if (f >= 18446744073709551615.0)
		return -1;
	*v = (uint64_t)f;
	return 0;
}

void
go_float(struct buf *b, double v)
{
	char d[40], *e;
	int prec, exp, nd, i;
	size_t k;

	if (v != v) {
		buf_puts(b, "NaN");
		return;
	}
	if (v > 1.7976931348623157e308 || v < -1.7976931348623157e308) {
		buf_puts(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* the shortest digits that read back as v */
	for (prec = 0; prec < 17; prec++) {
		snprintf(d, sizeof(d), "%.*e", prec, v);
		if (strtod(d, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(d, sizeof(d), "%.*e", 16, v);
	e = strchr(d, 'e');
	exp = (int)strtol(e + 1, NULL, 10);
	*e = '\0';
	k = 0;
	if (d[0] == '-') {
		buf_putc(b, '-');
		k = 1;
	}
	/* digits without the point */
	{
		char dig[40];
		int n = 0;

		for (; d[k] != '\0'; k++)
			if (d[k] != '.')
				dig[n++] = d[k];
		while (n > 1 && dig[n - 1] == '0')
			n--;
		nd = n;
		if (exp >= nd - 1) {
			buf_put(b, dig, (size_t)nd);
			for (i = 0; i < exp - (nd - 1); i++)
				buf_putc(b, '0');
		} else if (exp < 0) {
			buf_put(b, "0.", 2);
			for (i = 0; i < -exp - 1; i++)
				buf_putc(b, '0');
			buf_put(b, dig, (size_t)nd);
		} else {
			buf_put(b, dig, (size_t)exp + 1);
			buf_putc(b, '.');
			buf_put(b, dig + exp + 1, (size_t)(nd - exp - 1));
		}
	}
}

/* --- time layouts --------------------------------------------------- */

enum {
	T_LIT = 1, T_LONGMONTH, T_MONTH, T_NUMMONTH, T_ZEROMONTH,
	T_LONGWEEKDAY, T_WEEKDAY, T_DAY, T_UNDERDAY, T_ZERODAY,
	T_HOUR, T_HOUR12, T_ZEROHOUR12, T_MINUTE, T_ZEROMINUTE, T_SECOND,
	T_ZEROSECOND, T_LONGYEAR, T_YEAR, T_PM, T_pm, T_TZ,
	T_ISO_SS, T_ISO_CSS, T_ISO, T_ISO_C, T_ISO_H,	/* Z070000 ... */
	T_NUM_SS, T_NUM_CSS, T_NUM, T_NUM_C, T_NUM_H,	/* -070000 ... */
	T_FRAC0, T_FRAC9, T_YEARDAY
};

enum { F_LAYOUT, F_UNIX, F_UNIXMS, F_UNIXUS, F_UNIXNS };

struct tok {
	int		 kind;
	const char	*lit;	/* into layout */
	size_t		 n;	/* literal length, or fraction digits */
};

struct gotime {
	int		 fmt;
	char		*layout;
	struct tok	*t;
	size_t		 nt;
	char		*tz;	/* NULL: UTC; "": the local zone */
	int		 has_year;
};

static const char *const longmonths[] = { "January", "February", "March",
	"April", "May", "June", "July", "August", "September", "October",
	"November", "December" };
static const char *const longdays[] = { "Sunday", "Monday", "Tuesday",
	"Wednesday", "Thursday", "Friday", "Saturday" };

static int
lower_at(const char *s, size_t i, size_t n)
{
	return i < n && s[i] >= 'a' && s[i] <= 'z';
}

static int
digit_at(const char *s, size_t i, size_t n)
{
	return i < n && s[i] >= '0' && s[i] <= '9';
}

/* Go's nextStdChunk: the token at layout[i], its length in *len, or 0. */
static int
std_at(const char *l, size_t i, size_t n, size_t *len, size_t *arg)
{
	static const struct { const char *s; int k; } tz[] = {
		{ "Z070000", T_ISO_SS }, { "Z07:00:00", T_ISO_CSS },
		{ "Z0700", T_ISO }, { "Z07:00", T_ISO_C }, { "Z07", T_ISO_H },
		{ "-070000", T_NUM_SS }, { "-07:00:00", T_NUM_CSS },
		{ "-0700", T_NUM }, { "-07:00", T_NUM_C }, { "-07", T_NUM_H },
	};
	size_t k, r = n - i;

#define AT(s)	(r >= sizeof(s) - 1 && memcmp(l + i, s, sizeof(s) - 1) == 0)
	switch (l[i]) {
	case 'J':
		if (AT("January")) { *len = 7; return T_LONGMONTH; }
		if (AT("Jan") && !lower_at(l, i + 3, n)) {
			*len = 3;
			return T_MONTH;
		}
		break;
	case 'M':
		if (AT("Monday")) { *len = 6; return T_LONGWEEKDAY; }
		if (AT("Mon") && !lower_at(l, i + 3, n)) {
			*len = 3;
			return T_WEEKDAY;
		}
		if (AT("MST")) { *len = 3; return T_TZ; }
		break;
	case '0':
		if (r >= 2 && l[i + 1] >= '1' && l[i + 1] <= '6') {
			static const int z[] = { T_ZEROMONTH, T_ZERODAY,
			    T_ZEROHOUR12, T_ZEROMINUTE, T_ZEROSECOND, T_YEAR };

			*len = 2;
			return z[l[i + 1] - '1'];
		}
		if (AT("002")) { *len = 3; return T_YEARDAY; }
		break;
	case '1':
		if (AT("15")) { *len = 2; return T_HOUR; }
		*len = 1;
		return T_NUMMONTH;
	case '2':
		if (AT("2006")) { *len = 4; return T_LONGYEAR; }
		*len = 1;
		return T_DAY;
	case '_':
		if (AT("_2")) {
			if (AT("_2006"))
				return 0;	/* '_' is literal */
			*len = 2;
			return T_UNDERDAY;
		}
		if (AT("__2")) { *len = 3; return T_YEARDAY; }
		break;
	case '3': *len = 1; return T_HOUR12;
	case '4': *len = 1; return T_MINUTE;
	case '5': *len = 1; return T_SECOND;
	case 'P':
		if (AT("PM")) { *len = 2; return T_PM; }
		break;
	case 'p':
		if (AT("pm")) { *len = 2; return T_pm; }
		break;
	case '-':
	case 'Z':
		for (k = 0; k < sizeof(tz) / sizeof(tz[0]); k++) {
			size_t m = strlen(tz[k].s);

			if (r >= m && l[i] == tz[k].s[0] &&
			    memcmp(l + i + 1, tz[k].s + 1, m - 1) == 0) {
				*len = m;
				return tz[k].k;
			}
		}
		break;
	case '.':
	case ',':
		if (r >= 2 && (l[i + 1] == '0' || l[i + 1] == '9')) {
			char ch = l[i + 1];

			for (k = i + 1; k < n && l[k] == ch; k++)
				;
			if (!digit_at(l, k, n)) {
				*len = k - i;
				*arg = k - i - 1;
				return ch == '0' ? T_FRAC0 : T_FRAC9;
			}
		}
		break;
	}
#undef AT
	return 0;
}

static int
zone_ok(const char *name, char *err, size_t errlen)
{
	struct buf p = { 0 };
	int ok;

	if (name[0] == '/' || strstr(name, "..") != NULL) {
		seterr(err, errlen, "invalid location specified: unknown time "
		    "zone %s", name);
		return -1;
	}
	buf_puts(&p, "/usr/share/zoneinfo/");
	buf_puts(&p, name);
	ok = access(buf_cstr(&p), R_OK) == 0;
	buf_free(&p);
	if (!ok) {
		seterr(err, errlen, "invalid location specified: unknown time "
		    "zone %s", name);
		return -1;
	}
	return 0;
}

struct gotime *
gotime_new(const char *format, const char *location, char *err,
    size_t errlen)
{
	static const struct { const char *name, *layout; } pre[] = {
		{ "ANSIC", "Mon Jan _2 15:04:05 2006" },
		{ "UnixDate", "Mon Jan _2 15:04:05 MST 2006" },
		{ "RubyDate", "Mon Jan 02 15:04:05 -0700 2006" },
		{ "RFC822", "02 Jan 06 15:04 MST" },
		{ "RFC822Z", "02 Jan 06 15:04 -0700" },
		{ "RFC850", "Monday, 02-Jan-06 15:04:05 MST" },
		{ "RFC1123", "Mon, 02 Jan 2006 15:04:05 MST" },
		{ "RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700" },
		{ "RFC3339", "2006-01-02T15:04:05Z07:00" },
		{ "RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00" },
	};
	struct gotime *g;
	const char *l = format;
	size_t i, n, start, cap = 0;

	g = xcalloc(1, sizeof(*g));
	if (strcmp(format, "Unix") == 0)
		g->fmt = F_UNIX;
	else if (strcmp(format, "UnixMs") == 0)
		g->fmt = F_UNIXMS;
	else if (strcmp(format, "UnixUs") == 0)
		g->fmt = F_UNIXUS;
	else if (strcmp(format, "UnixNs") == 0)
		g->fmt = F_UNIXNS;
	else
		g->fmt = F_LAYOUT;
	if (location != NULL && strcmp(location, "UTC") != 0 &&
	    location[0] != '\0') {
		if (strcmp(location, "Local") == 0)
			g->tz = xstrdup("");
		else if (zone_ok(location, err, errlen) < 0) {
			free(g);
			return NULL;
		} else
			g->tz = xstrdup(location);
	}
	if (g->fmt != F_LAYOUT)
		return g;
	for (i = 0; i < sizeof(pre) / sizeof(pre[0]); i++)
		if (strcmp(format, pre[i].name) == 0)
			l = pre[i].layout;
	g->layout = xstrdup(l);
	l = g->layout;
	n = strlen(l);
	g->has_year = strstr(l, "06") != NULL;
	for (i = 0, start = 0; i <= n; ) {
		size_t len = 0, arg = 0;
		int k = i < n ? std_at(l, i, n, &len, &arg) : -1;

		if (k == 0) {
			i++;
			continue;
		}
		if (g->nt + 2 > cap) {
			cap = cap ? cap * 2 : 16;
			g->t = xrealloc(g->t, cap * sizeof(*g->t));
		}
		if (i > start) {
			g->t[g->nt].kind = T_LIT;
			g->t[g->nt].lit = l + start;
			g->t[g->nt].n = i - start;
			g->nt++;
		}
		if (k < 0)
			break;
		if (k == T_YEARDAY) {
			seterr(err, errlen, "layout element for the day of "
			    "the year (002, __2) is not supported");
			gotime_free(g);
			return NULL;
		}
		g->t[g->nt].kind = k;
		g->t[g->nt].lit = l + i;
		g->t[g->nt].n = arg;
		g->nt++;
		i += len;
		start = i;
	}
	return g;
}

void
gotime_free(struct gotime *g)
{
	if (g == NULL)
		return;
	free(g->t);
	free(g->layout);
	free(g->tz);
	free(g);
}

static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in(int m, int64_t y)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return d[m - 1];
}

/* Go's getnum: one or two digits (exactly two when fixed). */
static int
getnum(const char **s, const char *e, int fixed, int *v)
{
	const char *p = *s;

	if (p >= e || *p < '0' || *p > '9')
		return -1;
	if (p + 1 >= e || p[1] < '0' || p[1] > '9') {
		if (fixed)
			return -1;
		*v = *p - '0';
		*s = p + 1;
		return 0;
	}
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	*s = p + 2;
	return 0;
}

static int
lookup_name(const char **s, const char *e, const char *const *tab,
    int ntab, size_t len, int *v)
{
	int i;
	size_t k;

	for (i = 0; i < ntab; i++) {
		size_t m = len ? len : strlen(tab[i]);

		if ((size_t)(e - *s) < m)
			continue;
		for (k = 0; k < m; k++) {
			char a = (*s)[k], b = tab[i][k];

			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (char)(b - 'A' + 'a');
			if (a != b)
				break;
		}
		if (k == m) {
			*v = i;
			*s += m;
			return 0;
		}
	}
	return -1;
}

static int
frac_digits(const char **s, const char *e, size_t want, int *nsec)
{
	const char *p = *s;
	int64_t v = 0;
	size_t k = 0;

	while (p < e && *p >= '0' && *p <= '9' && (want == 0 || k < want)) {
		if (k < 9)
			v = v * 10 + (*p - '0');
		p++;
		k++;
	}
	if (k == 0 || (want != 0 && k != want))
		return -1;
	for (; k < 9; k++)
		v *= 10;
	*nsec = (int)v;
	*s = p;
	return 0;
}

static char cur_tz[256];	/* what TZ was last set to by us */
static int cur_tz_set;

static void
use_tz(const char *tz)
{
	if (!cur_tz_set || strcmp(cur_tz, tz) != 0) {
		if (tz[0] == '\0')
			unsetenv("TZ");
		else
			setenv("TZ", tz, 1);
		tzset();
		snprintf(cur_tz, sizeof(cur_tz), "%s", tz);
		cur_tz_set = strlen(tz) < sizeof(cur_tz);
	}
}

/*
 * Go's lookupName: the offset of the zone abbreviation ab (an bytes) in
 * zone tz around that wall-clock time. 0 and *off, or -1 when tz has no
 * zone of that name.
 */
static int
zone_offset(const char *tz, const char *ab, size_t an, int64_t y, int mo,
    int d, int h, int *off)
{
	struct tm tm;
	int dst;

	use_tz(tz);
	for (dst = 0; dst < 2; dst++) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = (int)(y - 1900);
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_isdst = dst;
		if (mktime(&tm) == (time_t)-1 || tm.tm_zone == NULL)
			continue;
		if (strlen(tm.tm_zone) == an && memcmp(tm.tm_zone, ab,
		    an) == 0) {
			*off = (int)tm.tm_gmtoff;
			return 0;
		}
	}
	return -1;
}

/* Wall-clock time in zone tz to Unix seconds, through the C library. */
static int
wall_to_unix(const char *tz, int64_t y, int mo, int d, int h, int mi,
    int sec, int64_t *out)
{
	struct tm tm;
	time_t t;

	use_tz(tz);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	errno = 0;
	t = mktime(&tm);
	if (t == (time_t)-1 && errno != 0)
		return -1;
	*out = (int64_t)t;
	return 0;
}

static int
parse_layout(struct gotime *g, const char *s, size_t n, int64_t now,
    int64_t *ns)
{
	const char *p = s, *e = s + n;
	int64_t year = 0, secs;
	int mon = -1, day = -1, hour = 0, min = 0, sec = 0, nsec = 0;
	int pm = 0, am = 0, zset = 0, zoff = 0, v;
	const char *zname = NULL;
	size_t i, zn = 0;

	for (i = 0; i < g->nt; i++) {
		const struct tok *t = &g->t[i];

		switch (t->kind) {
		case T_LIT: {
			const char *l = t->lit, *le = t->lit + t->n;

			while (l < le) {
				if (*l == ' ') {
					if (p < e && *p != ' ')
						return -1;
					while (l < le && *l == ' ')
						l++;
					while (p < e && *p == ' ')
						p++;
					continue;
				}
				if (p >= e || *p != *l)
					return -1;
				p++;
				l++;
			}
			break;
		}
		case T_YEAR:
			if (e - p < 2 || !digit_at(p, 0, 2) ||
			    !digit_at(p, 1, 2))
				return -1;
			year = (p[0] - '0') * 10 + (p[1] - '0');
			year += year >= 69 ? 1900 : 2000;
			p += 2;
			break;
		case T_LONGYEAR:
			if (e - p < 4)
				return -1;
			for (year = 0, v = 0; v < 4; v++) {
				if (p[v] < '0' || p[v] > '9')
					return -1;
				year = year * 10 + (p[v] - '0');
			}
			p += 4;
			break;
		case T_MONTH:
			if (lookup_name(&p, e, longmonths, 12, 3, &mon) < 0)
				return -1;
			mon++;
			break;
		case T_LONGMONTH:
			if (lookup_name(&p, e, longmonths, 12, 0, &mon) < 0)
				return -1;
			mon++;
			break;
		case T_NUMMONTH:
		case T_ZEROMONTH:
			if (getnum(&p, e, t->kind == T_ZEROMONTH, &mon) < 0 ||
			    mon < 1 || mon > 12)
				return -1;
			break;
		case T_WEEKDAY:
			if (lookup_name(&p, e, longdays, 7, 3, &v) < 0)
				return -1;
			break;
		case T_LONGWEEKDAY:
			if (lookup_name(&p, e, longdays, 7, 0, &v) < 0)
				return -1;
			break;
		case T_DAY:
		case T_UNDERDAY:
		case T_ZERODAY:
			if (t->kind == T_UNDERDAY && p < e && *p == ' ')
				p++;
			if (getnum(&p, e, t->kind == T_ZERODAY, &day) < 0)
				return -1;
			break;
		case T_HOUR:
			if (getnum(&p, e, 0, &hour) < 0 || hour > 23)
				return -1;
			break;
		case T_HOUR12:
		case T_ZEROHOUR12:
			if (getnum(&p, e, t->kind == T_ZEROHOUR12,
			    &hour) < 0 || hour > 12)
				return -1;
			break;
		case T_MINUTE:
		case T_ZEROMINUTE:
			if (getnum(&p, e, t->kind == T_ZEROMINUTE, &min) < 0 ||
			    min > 59)
				return -1;
			break;
		case T_SECOND:
		case T_ZEROSECOND:
			if (getnum(&p, e, t->kind == T_ZEROSECOND, &sec) < 0 ||
			    sec > 59)
				return -1;
			/* a fraction the layout does not name is read too */
			if (e - p >= 2 && (*p == '.' || *p == ',') &&
			    digit_at(p, 1, (size_t)(e - p)) &&
			    !(i + 1 < g->nt && (g->t[i + 1].kind == T_FRAC0 ||
			    g->t[i + 1].kind == T_FRAC9))) {
				p++;
				if (frac_digits(&p, e, 0, &nsec) < 0)
					return -1;
			}
			break;
		case T_PM:
		case T_pm:
			if (e - p < 2)
				return -1;
			if (t->kind == T_PM ? memcmp(p, "PM", 2) == 0 :
			    memcmp(p, "pm", 2) == 0)
				pm = 1;
			else if (t->kind == T_PM ? memcmp(p, "AM", 2) == 0 :
			    memcmp(p, "am", 2) == 0)
				am = 1;
			else
				return -1;
			p += 2;
			break;
		case T_ISO_SS: case T_ISO_CSS: case T_ISO: case T_ISO_C:
		case T_ISO_H:
			if (p < e && *p == 'Z') {
				p++;
				zset = 1;
				zoff = 0;
				break;
			}
			/* FALLTHROUGH */
		case T_NUM_SS: case T_NUM_CSS: case T_NUM: case T_NUM_C:
		case T_NUM_H: {
			int k = t->kind, hh, mm = 0, ss = 0, sign, colon;

			if (k >= T_NUM_SS)
				k = k - T_NUM_SS + T_ISO_SS;
			colon = k == T_ISO_CSS || k == T_ISO_C;
			if (p >= e || (*p != '+' && *p != '-'))
				return -1;
			sign = *p++ == '-' ? -1 : 1;
			if (getnum(&p, e, 1, &hh) < 0)
				return -1;
			if (k != T_ISO_H) {
				if (colon && (p >= e || *p++ != ':'))
					return -1;
				if (getnum(&p, e, 1, &mm) < 0)
					return -1;
			}
			if (k == T_ISO_SS || k == T_ISO_CSS) {
				if (colon && (p >= e || *p++ != ':'))
					return -1;
				if (getnum(&p, e, 1, &ss) < 0)
					return -1;
			}
			if (hh > 24 || mm > 60 || ss > 60)
				return -1;
			zset = 1;
			zoff = sign * (hh * 3600 + mm * 60 + ss);
			break;
		}
		case T_TZ: {
			size_t k = 0;

			if (e - p >= 3 && memcmp(p, "UTC", 3) == 0) {
				p += 3;
				zset = 1;
				zoff = 0;
				break;
			}
			if (e - p >= 3 && memcmp(p, "GMT", 3) == 0) {
				int hh = 0, sign = 1;

				p += 3;
				if (p < e && (*p == '+' || *p == '-')) {
					sign = *p++ == '-' ? -1 : 1;
					if (getnum(&p, e, 0, &hh) < 0)
						return -1;
				}
				zset = 1;
				zoff = sign * hh * 3600;
				break;
			}
			while (p + k < e && p[k] >= 'A' && p[k] <= 'Z')
				k++;
			if (k < 3 || k > 5)
				return -1;
			/* an abbreviation: its offset in the location
			 * (below), else 0, Go's fabricated zone */
			zname = p;
			zn = k;
			p += k;
			zset = 1;
			zoff = 0;
			break;
		}
		case T_FRAC0:
		case T_FRAC9:
			if (p >= e || (*p != '.' && *p != ',')) {
				if (t->kind == T_FRAC9)
					break;
				return -1;
			}
			if (t->kind == T_FRAC9 && !digit_at(p, 1,
			    (size_t)(e - p)))
				break;
			p++;
			if (frac_digits(&p, e, t->kind == T_FRAC0 ? t->n : 0,
			    &nsec) < 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	if (p != e)
		return -1;
	if (pm && hour < 12)
		hour += 12;
	else if (am && hour == 12)
		hour = 0;
	if (mon < 0)
		mon = 1;
	if (day < 0)
		day = 1;
	if (!g->has_year) {
		/* Promtail: a layout without a year means "this year", with
		 * care around New Year's Eve */
		time_t nt = (time_t)(now / 1000000000);
		struct tm tm;

		if (day > days_in(mon, 0))
			return -1;
		gmtime_r(&nt, &tm);
		year = tm.tm_year + 1900;
		if (mon == 12 && tm.tm_mon == 0)
			year--;
		else if (mon == 1 && tm.tm_mon == 11)
			year++;
	} else if (day < 1 || day > days_in(mon, year))
		return -1;
	if (day < 1)
		return -1;
	if (zname != NULL && g->tz != NULL && zone_offset(g->tz, zname, zn,
	    year, mon, day, hour, &v) == 0)
		zoff = v;
	if (zset || g->tz == NULL) {
		secs = days_from_civil(year, mon, day) * 86400 +
		    hour * 3600 + min * 60 + sec - zoff;
	} else if (wall_to_unix(g->tz, year, mon, day, hour, min, sec,
	    &secs) < 0)
		return -1;
	if (secs < 0 || secs > 9223372035)
		return -1;
	*ns = secs * 1000000000 + nsec;
	return 0;
}

/* strconv.ParseInt(s, 10, 64) */
static int
parse_i64(const char *s, size_t n, int64_t *v)
{
	size_t i = 0;
	int neg = 0;
	uint64_t u = 0;

	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (u > (UINT64_C(9223372036854775808) - (uint64_t)(s[i] -
		    '0')) / 10)
			return -1;
		u = u * 10 + (uint64_t)(s[i] - '0');
	}
	if (!neg && u > INT64_MAX)
		return -1;
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

int
gotime_parse(struct gotime *g, const char *s, size_t n, int64_t now,
    int64_t *ns)
{
	int64_t v, f, mul = 1;
	const char *dot;

	switch (g->fmt) {
	case F_LAYOUT:
		return parse_layout(g, s, n, now, ns);
	case F_UNIX:
		dot = memchr(s, '.', n);
		if (dot != NULL && memchr(dot + 1, '.', n - (size_t)(dot -
		    s) - 1) == NULL) {
			size_t fl = n - (size_t)(dot - s) - 1;
			double p = 1, fr;
			int k;

			if (parse_i64(s, (size_t)(dot - s), &v) < 0 ||
			    parse_i64(dot + 1, fl, &f) < 0)
				return -1;
			k = 9 - (int)fl;
			for (int j = 0; j < (k < 0 ? -k : k); j++)
				p *= 10;
			if (k < 0)
				p = 1 / p;
			fr = (double)f * p;
			if (v < 0 || v > 9223372035)
				return -1;
			*ns = v * 1000000000 + (int64_t)fr;
			return *ns < 0 ? -1 : 0;
		}
		if (parse_i64(s, n, &v) < 0 || v < 0 || v > 9223372035)
			return -1;
		*ns = v * 1000000000;
		return 0;
	case F_UNIXMS:
		mul = 1000000;
		break;
	case F_UNIXUS:
		mul = 1000;
		break;
	}
	if (parse_i64(s, n, &v) < 0 || v < 0 || v > INT64_MAX / mul)
		return -1;
	*ns = v * mul;
	return 0;
}
