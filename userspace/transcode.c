// SPDX-License-Identifier: GPL-2.0-only
/* One direction of transcoding: RTP parsed, decoded (losses concealed), resampled, cut into
 * output frames and encoded onto a generated RTP stream whose timeline follows the input's;
 * G.711 <-> G.711 translated byte for byte, RFC 4733 events translated, comfort noise dropped. */
#include "transcode.h"

#include "log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RTP_HDR	  12
#define MAX_IN_MS 200  /* longest input packet decoded */
#define MAX_PCM	  9600 /* MAX_IN_MS at 48 kHz */
#define FIFO_MS	  500  /* output PCM a transcoder buffers at most */
#define MAX_PTIME 120  /* ms, longest output packet (G.711: 960 bytes) */
/* A sequence number this far behind the last one is a sender that restarted, not reordering. */
#define SEQ_RESET 1000
/* Map anchors move forward once the input is this far from them, in whole seconds of 48000
 * ticks so that 8000, 16000 and 48000 Hz clocks convert without remainder. */
#define ANCHOR_STEP (1u << 30)

struct tc_in {
	const struct codec_def *def;
	struct codec_dec *dec;
	unsigned int rate;    /* PCM rate dec runs at */
	struct resampler *rs; /* to out_rate; NULL when rate is out_rate */
};

struct transcoder {
	struct tc_params p;
	struct tc_stats st;
	const struct codec_def *out_def;
	struct codec_enc *enc;
	unsigned int out_rate; /* PCM rate enc runs at (Opus: not its RTP clock) */
	struct tc_in in[TC_MAX_IN];
	unsigned int frame;	  /* output samples per packet */
	unsigned int frame_ticks; /* output RTP clock per packet */
	int transparent; /* G.711 byte translation: 1 yes, 0 no, -1 decided by 1st packet */

	/* Input timeline. */
	bool started; /* in_ssrc and last_seq are valid */
	uint32_t in_ssrc;
	uint16_t last_seq;  /* of the last packet used */
	bool anchored;	    /* in_anchor maps to out_anchor */
	uint32_t in_anchor; /* input RTP clock */
	uint32_t out_anchor;
	int cur_in;	     /* in[] of the last decoded audio, -1 none */
	uint32_t in_next_ts; /* input timestamp right after the last decoded audio */
	size_t last_samples; /* decoded samples of the last audio packet */

	/* Output. */
	uint16_t seq;
	bool marker_pending; /* the next packet sent starts a talkspurt */
	uint32_t fifo_ts;    /* output timestamp of fifo[0] */
	size_t fifo_len, fifo_cap;
	int16_t fifo[]; /* fifo_cap samples at out_rate */
};

/* One packet's PCM, decoded and resampled: transcoders run on their worker's thread only, one
 * packet at a time, so each thread needs one set, not each transcoder. */
static _Thread_local int16_t pcm_buf[MAX_PCM];
static _Thread_local int16_t rs_buf[MAX_PCM + 64];

struct rtp {
	bool marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts, ssrc;
	const uint8_t *payload;
	size_t len;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int rtp_parse(const uint8_t *pkt, size_t len, struct rtp *r)
{
	size_t off, end = len;

	if (len < RTP_HDR || pkt[0] >> 6 != 2)
		return -EINVAL;
	off = RTP_HDR + 4u * (pkt[0] & 0x0f);
	if (off > len)
		return -EINVAL;
	if (pkt[0] & 0x10) {
		if (off + 4 > len)
			return -EINVAL;
		off += 4 + 4u * rd16(pkt + off + 2);
		if (off > len)
			return -EINVAL;
	}
	if (pkt[0] & 0x20) {
		size_t pad = pkt[len - 1];

		if (!pad || pad > len - off)
			return -EINVAL;
		end -= pad;
	}
	r->marker = pkt[1] & 0x80;
	r->pt = pkt[1] & 0x7f;
	r->seq = rd16(pkt + 2);
	r->ts = rd32(pkt + 4);
	r->ssrc = rd32(pkt + 8);
	r->payload = pkt + off;
	r->len = end - off;
	return 0;
}

static void rtp_header(uint8_t *p, bool marker, uint8_t pt, uint16_t seq, uint32_t ts,
		       uint32_t ssrc)
{
	p[0] = 0x80;
	p[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	wr16(p + 2, seq);
	wr32(p + 4, ts);
	wr32(p + 8, ssrc);
}

static bool is_g711(enum codec_id id)
{
	return id == CODEC_PCMU || id == CODEC_PCMA;
}

bool tc_params_g711(const struct tc_params *p)
{
	if (!is_g711(p->out.id))
		return false;
	for (unsigned int i = 0; i < p->n_in; i++)
		if (!is_g711(p->in[i].id) && p->in[i].id != CODEC_TELEPHONE_EVENT &&
		    p->in[i].id != CODEC_CN)
			return false;
	return true;
}

static bool valid_ptime(enum codec_id id, unsigned int ms)
{
	if (id == CODEC_OPUS)
		return ms == 10 || ms == 20 || ms == 40 || ms == 60;
	return ms >= 1 && ms <= MAX_PTIME;
}

void transcoder_free(struct transcoder *t)
{
	if (!t)
		return;
	for (unsigned int i = 0; i < TC_MAX_IN; i++) {
		codec_dec_free(t->in[i].dec);
		resampler_free(t->in[i].rs);
	}
	codec_enc_free(t->enc);
	free(t);
}

static bool is_audio(enum codec_id id)
{
	return id != CODEC_TELEPHONE_EVENT && id != CODEC_CN;
}

/* The PCM rate the encoder runs at: the highest rate an input has (an Opus input: 48000) when
 * the output codec runs at it (Opus: any; G.722: 8000), else the codec's own; so a narrowband
 * source costs a narrowband encode and no resampling. */
static unsigned int out_pcm_rate(const struct tc_params *p)
{
	unsigned int rate = 0;

	for (unsigned int i = 0; i < p->n_in; i++) {
		const struct codec_def *d = codec_get(p->in[i].id);

		if (d && is_audio(d->id) && d->sample_rate > rate)
			rate = d->sample_rate;
	}
	return codec_runs_at(p->out.id, rate) ? rate : codec_get(p->out.id)->sample_rate;
}

/* The PCM rate input codec d decodes at: the output's when it can (no resampler), else its
 * own. */
static unsigned int in_pcm_rate(const struct codec_def *d, unsigned int out_rate)
{
	return codec_runs_at(d->id, out_rate) ? out_rate : d->sample_rate;
}

struct transcoder *transcoder_new(const struct tc_params *p, const char **err)
{
	struct transcoder *t;
	unsigned int ptime, out_rate;

	if (!p || p->n_in > TC_MAX_IN || p->out.pt > 127) {
		*err = "bad transcoder parameters";
		return NULL;
	}
	if (!codec_get(p->out.id) || !codec_get(p->out.id)->transcodable) {
		*err = "output codec cannot be encoded";
		return NULL;
	}
	/* The FIFO holds FIFO_MS of output PCM: a whole input packet (MAX_IN_MS) and a frame. */
	out_rate = out_pcm_rate(p);
	t = calloc(1, sizeof(*t) + (size_t)out_rate * FIFO_MS / 1000 * sizeof(t->fifo[0]));
	if (!t) {
		*err = "out of memory";
		return NULL;
	}
	t->p = *p;
	t->cur_in = -1;
	t->seq = p->seq;
	t->out_def = codec_get(p->out.id);
	t->out_rate = out_rate;
	t->fifo_cap = (size_t)out_rate * FIFO_MS / 1000;
	if ((p->dtmf_in_pt >= 0 && (p->dtmf_in_pt > 127 || !p->dtmf_in_clock)) ||
	    (p->dtmf_out_pt >= 0 && (p->dtmf_out_pt > 127 || !p->dtmf_out_clock))) {
		*err = "bad telephone-event parameters";
		goto fail;
	}
	ptime = p->out.ptime ? p->out.ptime : t->out_def->default_ptime;
	if (!valid_ptime(p->out.id, ptime)) {
		*err = "output ptime not supported by the codec";
		goto fail;
	}
	t->frame = t->out_rate * ptime / 1000;
	t->frame_ticks = t->out_def->clock_rate * ptime / 1000;
	t->enc = codec_enc_new(p->out.id, t->out_rate, &p->out.opus, err);
	if (!t->enc)
		goto fail;

	for (unsigned int i = 0; i < p->n_in; i++) {
		const struct codec_def *d = codec_get(p->in[i].id);

		if (!d || p->in[i].pt > 127) {
			*err = "unknown input codec";
			goto fail;
		}
		t->in[i].def = d;
		if (!is_audio(d->id))
			continue;
		if (!d->transcodable) {
			*err = "input codec cannot be decoded";
			goto fail;
		}
		t->in[i].rate = in_pcm_rate(d, t->out_rate);
		t->in[i].dec = codec_dec_new(d->id, t->in[i].rate, err);
		if (!t->in[i].dec)
			goto fail;
		if (t->in[i].rate == t->out_rate)
			continue;
		t->in[i].rs = resampler_new(t->in[i].rate, t->out_rate, err);
		if (!t->in[i].rs)
			goto fail;
	}
	t->transparent = !tc_params_g711(p) ? 0 : p->out.ptime ? -1 : 1;
	return t;
fail:
	transcoder_free(t);
	return NULL;
}

static bool same_codec(const struct tc_codec *a, const struct tc_codec *b, bool out)
{
	if (a->id != b->id || a->pt != b->pt)
		return false;
	if (!out)
		return true;
	return a->ptime == b->ptime && a->opus.bitrate == b->opus.bitrate &&
	       a->opus.fec == b->opus.fec && a->opus.dtx == b->opus.dtx &&
	       a->opus.max_playback_rate == b->opus.max_playback_rate &&
	       a->opus.complexity == b->opus.complexity;
}

bool tc_params_same(const struct tc_params *q, const struct tc_params *p)
{
	if (q->n_in != p->n_in || !same_codec(&q->out, &p->out, true))
		return false;
	for (unsigned int i = 0; i < q->n_in; i++)
		if (!same_codec(&q->in[i], &p->in[i], false))
			return false;
	return q->dtmf_in_pt == p->dtmf_in_pt && q->dtmf_out_pt == p->dtmf_out_pt &&
	       (q->dtmf_in_pt < 0 || q->dtmf_in_clock == p->dtmf_in_clock) &&
	       (q->dtmf_out_pt < 0 || q->dtmf_out_clock == p->dtmf_out_clock);
}

const struct tc_stats *transcoder_stats(const struct transcoder *t)
{
	return &t->st;
}

/* The output timestamp of input timestamp ts (input clock ic, output clock oc). */
static uint32_t ts_map(const struct transcoder *t, uint32_t ts, unsigned int ic, unsigned int oc)
{
	int64_t d = (int32_t)(ts - t->in_anchor);

	return t->out_anchor + (uint32_t)(d * oc / ic);
}

/* Keeps the anchor near the input so the 32-bit difference never wraps in long calls. */
static void anchor_follow(struct transcoder *t, uint32_t ts, unsigned int ic, unsigned int oc)
{
	uint32_t d = ts - t->in_anchor;

	if (d >= ANCHOR_STEP && d < 2 * ANCHOR_STEP) {
		uint32_t step = d - d % 48000;

		t->out_anchor += (uint32_t)((uint64_t)step * oc / ic);
		t->in_anchor += step;
	}
}

/* The input is a new stream (SSRC, codec or timeline change): its ts becomes where the output
 * goes on, so the output timeline never jumps back. */
static void reanchor(struct transcoder *t, uint32_t ts)
{
	if (!t->anchored)
		t->out_anchor = t->p.ts;
	else if (t->cur_in >= 0)
		t->out_anchor = t->fifo_ts + (uint32_t)((uint64_t)t->fifo_len *
							t->out_def->clock_rate / t->out_rate);
	t->in_anchor = ts;
	t->anchored = true;
	t->cur_in = -1;
	t->fifo_len = 0;
}

/* Appends decoded samples (at in[ci]'s rate) to the output FIFO. */
static void fifo_push(struct transcoder *t, int ci, const int16_t *pcm, size_t n)
{
	int m = (int)n;

	if (t->in[ci].rs) {
		m = resampler_run(t->in[ci].rs, pcm, n, rs_buf, sizeof(rs_buf) / 2);
		if (m < 0) {
			t->st.errors++;
			return;
		}
		pcm = rs_buf;
	}
	/* Only when outputs are capped by TC_MAX_OUT for a while: drop the oldest whole frames. */
	while (t->fifo_len + (size_t)m > t->fifo_cap && t->fifo_len >= t->frame) {
		memmove(t->fifo, t->fifo + t->frame, (t->fifo_len - t->frame) * 2);
		t->fifo_len -= t->frame;
		t->fifo_ts += t->frame_ticks;
		t->st.errors++;
	}
	if (t->fifo_len + (size_t)m > t->fifo_cap) {
		t->st.errors++; /* longer than an input packet may be: never past the FIFO */
		return;
	}
	memcpy(t->fifo + t->fifo_len, pcm, (size_t)m * 2);
	t->fifo_len += (size_t)m;
}

/* Encodes the full frames in the FIFO into out[n..]; returns the new n. */
static unsigned int fifo_drain(struct transcoder *t, uint8_t (*out)[TC_PKT_MAX],
			       unsigned int *out_len, unsigned int n)
{
	size_t done = 0;

	while (t->fifo_len - done >= t->frame && n < TC_MAX_OUT) {
		int r = codec_encode(t->enc, t->fifo + done, t->frame, out[n] + RTP_HDR,
				     TC_PKT_MAX - RTP_HDR);

		if (r < 0) {
			t->st.errors++;
			log_debug_rl("transcode: encoder: %s", strerror(-r));
		} else if (r > 0) {
			rtp_header(out[n], t->marker_pending, t->p.out.pt, t->seq++, t->fifo_ts,
				   t->p.ssrc);
			t->marker_pending = false;
			out_len[n++] = RTP_HDR + (unsigned int)r;
			t->st.encoded++;
		} else {
			/* DTX: nothing sent; the packet after the silence starts a talkspurt. */
			t->marker_pending = true;
		}
		t->fifo_ts += t->frame_ticks;
		done += t->frame;
	}
	if (done) {
		memmove(t->fifo, t->fifo + done, (t->fifo_len - done) * 2);
		t->fifo_len -= done;
	}
	return n;
}

/* Conceals the input between the last decoded packet and r: at most k packets of the last
 * packet's size, never more than gap input samples; the rest of the gap is silence. */
static void conceal(struct transcoder *t, int ci, const struct rtp *r, unsigned int k, size_t gap)
{
	struct codec_dec *dec = t->in[ci].dec;
	size_t frame = t->last_samples;

	for (unsigned int i = 0; i < k && gap; i++) {
		bool last = i + 1 == k;
		int m = codec_conceal(dec, last ? r->payload : NULL, last ? r->len : 0, pcm_buf,
				      frame);

		if (m <= 0) {
			t->st.errors++;
			break;
		}
		if ((size_t)m > gap)
			m = (int)gap;
		fifo_push(t, ci, pcm_buf, (size_t)m);
		gap -= (size_t)m;
		t->st.concealed++;
	}
	while (gap) {
		size_t chunk = t->in[ci].rate / 10, m = gap < chunk ? gap : chunk;

		memset(pcm_buf, 0, m * 2);
		fifo_push(t, ci, pcm_buf, m);
		gap -= m;
	}
}

static unsigned int audio(struct transcoder *t, int ci, const struct rtp *r, unsigned int lost,
			  uint8_t (*out)[TC_PKT_MAX], unsigned int *out_len)
{
	const struct codec_def *d = t->in[ci].def;
	unsigned int rate = t->in[ci].rate;
	size_t max = (size_t)rate * MAX_IN_MS / 1000;
	int n;

	if (t->cur_in != ci) {
		if (t->cur_in >= 0)
			reanchor(t, r->ts);
		t->fifo_len = 0;
		t->fifo_ts = ts_map(t, r->ts, d->clock_rate, t->out_def->clock_rate);
	} else {
		int32_t td = (int32_t)(r->ts - t->in_next_ts);

		if (td < 0 || (uint32_t)td >= ANCHOR_STEP) {
			reanchor(t, r->ts);
			t->fifo_ts = t->out_anchor;
		} else if (td > 0 && lost &&
			   (uint64_t)td * 1000 <= (uint64_t)TC_MAX_GAP * d->clock_rate) {
			conceal(t, ci, r, lost, (size_t)td * rate / d->clock_rate);
		} else if (td > 0) {
			/* Silence not sent (DTX, CN) or a long loss: a gap in the output too. */
			t->fifo_len = 0;
			t->fifo_ts = ts_map(t, r->ts, d->clock_rate, t->out_def->clock_rate);
		}
	}
	anchor_follow(t, r->ts, d->clock_rate, t->out_def->clock_rate);
	t->cur_in = ci;

	n = codec_decode(t->in[ci].dec, r->payload, r->len, pcm_buf, max);
	if (n <= 0) {
		/* Its time is lost; the next packet restarts the output after it. */
		t->st.errors++;
		log_debug_rl("transcode: %s payload of %zu bytes undecodable", d->name, r->len);
		return 0;
	}
	t->st.decoded++;
	t->in_next_ts = r->ts + (uint32_t)((uint64_t)n * d->clock_rate / rate);
	t->last_samples = (size_t)n;
	if (r->marker)
		t->marker_pending = true;
	fifo_push(t, ci, pcm_buf, (size_t)n);
	return fifo_drain(t, out, out_len, 0);
}

/* An RFC 4733 packet onto the output: PT, durations (one per 4-byte event) scaled to the output
 * clock; on the generated stream (gen) or keeping the input's seq/ts/SSRC. */
static unsigned int event(struct transcoder *t, const struct rtp *r, bool gen, uint8_t *o,
			  unsigned int *o_len)
{
	if (r->len < 4 || r->len % 4 || r->len > TC_PKT_MAX - RTP_HDR) {
		t->st.errors++;
		return 0;
	}
	if (gen)
		rtp_header(o, r->marker, (uint8_t)t->p.dtmf_out_pt, t->seq++,
			   ts_map(t, r->ts, t->p.dtmf_in_clock, t->p.dtmf_out_clock), t->p.ssrc);
	else
		rtp_header(o, r->marker, (uint8_t)t->p.dtmf_out_pt, r->seq, r->ts, r->ssrc);
	memcpy(o + RTP_HDR, r->payload, r->len);
	for (size_t i = 0; i < r->len; i += 4) {
		uint64_t dur = (uint64_t)rd16(r->payload + i + 2) * t->p.dtmf_out_clock /
			       t->p.dtmf_in_clock;

		wr16(o + RTP_HDR + i + 2, dur > 0xffff ? 0xffff : (uint16_t)dur);
	}
	*o_len = RTP_HDR + (unsigned int)r->len;
	t->st.encoded++;
	return 1;
}

/* G.711 to G.711 in place of decoding: the input's header kept but for the PT. */
static unsigned int translate(struct transcoder *t, int ci, const struct rtp *r, uint8_t *o,
			      unsigned int *o_len)
{
	enum codec_id from = t->in[ci].def->id, to = t->p.out.id;

	if (!r->len || r->len > TC_PKT_MAX - RTP_HDR) {
		t->st.errors++;
		return 0;
	}
	rtp_header(o, r->marker, t->p.out.pt, r->seq, r->ts, r->ssrc);
	for (size_t i = 0; i < r->len; i++) {
		uint8_t b = r->payload[i];

		o[RTP_HDR + i] = from == to	      ? b
				 : from == CODEC_PCMU ? codec_ulaw_to_alaw(b)
						      : codec_alaw_to_ulaw(b);
	}
	*o_len = RTP_HDR + (unsigned int)r->len;
	t->st.decoded++;
	t->st.encoded++;
	return 1;
}

/* Sequence number bookkeeping for the generated mode; returns the packets lost before r, or -1
 * when r is late. */
static int seq_check(struct transcoder *t, const struct rtp *r)
{
	int16_t d;

	if (!t->started || r->ssrc != t->in_ssrc) {
		if (t->started || !t->anchored)
			reanchor(t, r->ts);
		t->started = true;
		t->in_ssrc = r->ssrc;
		t->last_seq = r->seq;
		return 0;
	}
	d = (int16_t)(r->seq - t->last_seq);
	if (d <= 0 && d > -SEQ_RESET) {
		t->st.late++;
		return -1;
	}
	t->last_seq = r->seq;
	if (d <= 0) {
		reanchor(t, r->ts);
		return 0;
	}
	return d - 1;
}

int transcoder_rtp(struct transcoder *t, const uint8_t *pkt, unsigned int len,
		   uint8_t (*out)[TC_PKT_MAX], unsigned int *out_len)
{
	struct rtp r;
	int ci = -1, lost;

	if (!t || !pkt || !out || !out_len || rtp_parse(pkt, len, &r)) {
		if (t)
			t->st.errors++;
		return 0;
	}
	if (t->p.dtmf_in_pt < 0 || r.pt != t->p.dtmf_in_pt) {
		for (unsigned int i = 0; i < t->p.n_in; i++)
			if (t->p.in[i].pt == r.pt)
				ci = (int)i;
		if (ci < 0 && r.pt == 13)
			return 0;
		if (ci < 0) {
			t->st.errors++;
			return 0;
		}
		if (!t->in[ci].dec) /* CN, or events the output has no place for */
			return 0;
	} else if (t->p.dtmf_out_pt < 0) {
		return 0;
	}

	if (t->transparent < 0 && ci >= 0)
		t->transparent = r.len * 1000 == 8000 * t->p.out.ptime;
	if (t->transparent) {
		if (ci < 0)
			return event(t, &r, false, out[0], out_len);
		return translate(t, ci, &r, out[0], out_len);
	}

	lost = seq_check(t, &r);
	if (lost < 0)
		return 0;
	if (ci < 0)
		return event(t, &r, true, out[0], out_len);
	return audio(t, ci, &r, (unsigned int)lost, out, out_len);
}
