/* Native generation of flow-export sheet rows, for the bench's single-core ceiling only.
 *
 * Writes the <row> elements of every (series, slot) row into `out` and returns the bytes
 * written: time cells copied from texts formatted once per slot, shared-string indexes and
 * traffic as decimal integers, bandwidth (traffic * 8 / 300) as integer part and nine decimals
 * by integer arithmetic. That float text is not exact: like xlsx-perf.md's measurement it
 * stands in for a shortest round-trip formatter of the ryu class, which costs about the same
 * (glibc's "%.17g" costs several times more). Built and loaded with ctypes by bench/writers.py.
 */
#include <stdint.h>
#include <string.h>

static char *put(char *at, const char *text, size_t length) {
    memcpy(at, text, length);
    return at + length;
}

static char *put_int(char *at, int64_t value) {
    char digits[24];
    int count = 0;
    uint64_t rest = value < 0 ? (uint64_t)(-(value + 1)) + 1 : (uint64_t)value;
    if (value < 0) {
        *at++ = '-';
    }
    do {
        digits[count++] = (char)('0' + rest % 10);
        rest /= 10;
    } while (rest);
    while (count) {
        *at++ = digits[--count];
    }
    return at;
}

#define LIT(at, text) put(at, text, sizeof(text) - 1)

static char *put_fixed(char *at, double value) {
    int64_t whole = (int64_t)value;
    int64_t nanos = (int64_t)((value - (double)whole) * 1e9 + 0.5);
    if (nanos >= 1000000000) {
        whole += 1;
        nanos -= 1000000000;
    }
    at = put_int(at, whole);
    if (nanos) {
        char digits[9];
        int last = 0;
        for (int n = 8; n >= 0; n--) {
            digits[n] = (char)('0' + nanos % 10);
            nanos /= 10;
            if (!last && digits[n] != '0') {
                last = n + 1;
            }
        }
        *at++ = '.';
        at = put(at, digits, (size_t)last);
    }
    return at;
}

size_t sheet_rows(const char *time_texts, const int32_t *time_lengths, int32_t time_stride,
                  int64_t slots, int64_t series, const int64_t *labels, const int64_t *regions,
                  const int64_t *traffic, char *out) {
    char *at = out;
    for (int64_t s = 0; s < series; s++) {
        for (int64_t t = 0; t < slots; t++) {
            int64_t bytes = traffic[s * slots + t];
            at = LIT(at, "<row><c s=\"1\"><v>");
            at = put(at, time_texts + t * time_stride, (size_t)time_lengths[t]);
            at = LIT(at, "</v></c><c t=\"s\"><v>");
            at = put_int(at, labels[s]);
            at = LIT(at, "</v></c><c t=\"s\"><v>");
            at = put_int(at, regions[s]);
            at = LIT(at, "</v></c><c><v>");
            at = put_int(at, bytes);
            at = LIT(at, "</v></c><c><v>");
            at = put_fixed(at, (double)bytes * 8.0 / 300.0);
            at = LIT(at, "</v></c></row>");
        }
    }
    return (size_t)(at - out);
}
