/* SPDX-License-Identifier: GPL-2.0-only */
/* Test signals and their analysis: sine tones and DTMF digits made, and frequency, level and
 * digits measured back (Goertzel), so a test can tell what came out of a codec or the relay. */
#ifndef XRELAY_TEST_AUDIO_H
#define XRELAY_TEST_AUDIO_H

#include <stddef.h>
#include <stdint.h>

/* n samples of a sine of freq Hz at rate, peak amplitude amp (0..32767), starting at sample
 * offset start (so consecutive calls continue the same wave). */
void audio_sine(int16_t *pcm, size_t n, unsigned int rate, double freq, double amp, size_t start);
/* The two-tone DTMF digit ('0'..'9', '*', '#', 'A'..'D') at rate; -1 for an unknown digit. */
int audio_dtmf(int16_t *pcm, size_t n, unsigned int rate, char digit, double amp, size_t start);

/* RMS level in dBFS (0 dBFS = a full-scale square wave; a full-scale sine is -3.01). */
double audio_rms_dbfs(const int16_t *pcm, size_t n);
/* The power of freq in pcm relative to the total, 0..1 (Goertzel, Hann window). */
double audio_tone_share(const int16_t *pcm, size_t n, unsigned int rate, double freq);
/* The strongest frequency between lo and hi Hz, searched in 5 Hz steps then refined to 1 Hz. */
double audio_peak_freq(const int16_t *pcm, size_t n, unsigned int rate, double lo, double hi);
/* The DTMF digit pcm holds, or 0 when none dominates (both tones over 30 % of the power each
 * and the rest under 20 %). */
char audio_dtmf_digit(const int16_t *pcm, size_t n, unsigned int rate);

/* RFC 4733 event payload (4 bytes): event, end bit, volume, duration (in clock units). */
void audio_event_payload(uint8_t *p, uint8_t event, int end, uint8_t volume, uint16_t duration);

#endif
