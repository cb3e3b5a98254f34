// SPDX-License-Identifier: GPL-2.0-only
/* Test signals (sines, DTMF) and their measurement (RMS level, Goertzel tone power with a Hann
 * window, peak search, DTMF detection), dependency-free apart from libm. */
#include "audio.h"

#include <math.h>

static const double dtmf_row[4] = {697, 770, 852, 941};
static const double dtmf_col[4] = {1209, 1336, 1477, 1633};
static const char dtmf_keys[4][4] = {
	{'1', '2', '3', 'A'},
	{'4', '5', '6', 'B'},
	{'7', '8', '9', 'C'},
	{'*', '0', '#', 'D'},
};

static int16_t clip(double v)
{
	v = lround(v);
	if (v > 32767)
		return 32767;
	if (v < -32768)
		return -32768;
	return (int16_t)v;
}

void audio_sine(int16_t *pcm, size_t n, unsigned int rate, double freq, double amp, size_t start)
{
	for (size_t i = 0; i < n; i++)
		pcm[i] = clip(amp * sin(2 * M_PI * freq * (double)(start + i) / rate));
}

int audio_dtmf(int16_t *pcm, size_t n, unsigned int rate, char digit, double amp, size_t start)
{
	for (int r = 0; r < 4; r++) {
		for (int c = 0; c < 4; c++) {
			if (dtmf_keys[r][c] != digit)
				continue;
			/* Two equal tones, each half the peak, so the sum never exceeds amp. */
			for (size_t i = 0; i < n; i++) {
				double t = (double)(start + i) / rate;

				pcm[i] = clip(amp / 2 *
					      (sin(2 * M_PI * dtmf_row[r] * t) +
					       sin(2 * M_PI * dtmf_col[c] * t)));
			}
			return 0;
		}
	}
	return -1;
}

double audio_rms_dbfs(const int16_t *pcm, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (double)pcm[i] * pcm[i];
	if (!n || sum == 0)
		return -200.0;
	return 10 * log10(sum / (double)n / (32768.0 * 32768.0));
}

static double hann(size_t i, size_t n)
{
	return n < 2 ? 1.0 : 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)(n - 1));
}

/* |X(freq)|^2 of the Hann-windowed signal (Goertzel at an arbitrary, non-bin frequency). */
static double goertzel(const int16_t *pcm, size_t n, unsigned int rate, double freq)
{
	double w = 2 * M_PI * freq / rate, coeff = 2 * cos(w), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s = pcm[i] * hann(i, n) + coeff * s1 - s2;

		s2 = s1;
		s1 = s;
	}
	return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

double audio_tone_share(const int16_t *pcm, size_t n, unsigned int rate, double freq)
{
	double energy = 0, sw = 0, sw2 = 0, share;

	for (size_t i = 0; i < n; i++) {
		double w = hann(i, n);

		energy += (pcm[i] * w) * (pcm[i] * w);
		sw += w;
		sw2 += w * w;
	}
	if (energy == 0 || sw == 0)
		return 0;
	/* A sine of amplitude A gives |X|^2 = (A sw / 2)^2 and energy A^2 sw2 / 2. */
	share = goertzel(pcm, n, rate, freq) * 2 * sw2 / (sw * sw * energy);
	return share > 1 ? 1 : share;
}

double audio_peak_freq(const int16_t *pcm, size_t n, unsigned int rate, double lo, double hi)
{
	/* The coarse search looks at a window whose main lobe (4 bins) spans the 5 Hz step, so the
	 * grid cannot fall between the lobes of a long signal; the fine one uses all of it. */
	size_t coarse_n = n < rate / 5 ? n : rate / 5;
	double best = lo, best_p = -1;
	double center;

	for (double f = lo; f <= hi; f += 5) {
		double p = goertzel(pcm, coarse_n, rate, f);

		if (p > best_p) {
			best_p = p;
			best = f;
		}
	}
	center = best;
	best_p = -1;
	for (double f = center - 5; f <= center + 5; f += 1) {
		double p;

		if (f < lo || f > hi)
			continue;
		p = goertzel(pcm, n, rate, f);
		if (p > best_p) {
			best_p = p;
			best = f;
		}
	}
	return best;
}

char audio_dtmf_digit(const int16_t *pcm, size_t n, unsigned int rate)
{
	double rs = 0, cs = 0;
	int r = 0, c = 0;

	for (int i = 0; i < 4; i++) {
		double s = audio_tone_share(pcm, n, rate, dtmf_row[i]);

		if (s > rs) {
			rs = s;
			r = i;
		}
		s = audio_tone_share(pcm, n, rate, dtmf_col[i]);
		if (s > cs) {
			cs = s;
			c = i;
		}
	}
	if (rs > 0.3 && cs > 0.3 && 1 - rs - cs < 0.2)
		return dtmf_keys[r][c];
	return 0;
}

void audio_event_payload(uint8_t *p, uint8_t event, int end, uint8_t volume, uint16_t duration)
{
	p[0] = event;
	p[1] = (uint8_t)((end ? 0x80 : 0) | (volume & 0x3f));
	p[2] = (uint8_t)(duration >> 8);
	p[3] = (uint8_t)duration;
}
