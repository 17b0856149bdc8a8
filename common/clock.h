#ifndef COMMON_CLOCK_H
#define COMMON_CLOCK_H

/* The monotonic clock, for deadlines and durations. */
long long clock_ms(void);
long long clock_us(void);

#endif
