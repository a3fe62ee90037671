// Reading WAV recordings and measuring what is in them, for tests of real calls.
#pragma once

#include <string>
#include <vector>

namespace sipw::test {

struct Wav {
    int sampleRate = 0;
    int channels = 0;
    int bitsPerSample = 0;
    unsigned dataBytes = 0;        // as declared in the data chunk header
    std::vector<float> samples;    // first channel, -1..1
    double durationSeconds() const { return sampleRate ? double(samples.size()) / sampleRate : 0; }
};

// Reads a PCM (16-bit) WAV. False, with `error` set, if the header is not a valid RIFF/WAVE
// (e.g. a recording never finalized: sizes still 0) or the data does not match it.
bool readWav(const std::string &path, Wav &out, std::string &error);

// The frequency (Hz) with the most energy in [minHz, maxHz] over samples[begin, end): a Goertzel
// scan in 5 Hz steps over short stretches, refined in 1 Hz then 0.1 Hz steps around the peak over
// the whole range.
double dominantFrequency(const Wav &wav, size_t begin, size_t end, double minHz = 50,
                         double maxHz = 4000);

// Writes `seconds` of a sine at `hz` (amplitude 0.5) as 16-bit mono PCM WAV at `sampleRate`.
bool writeToneWav(const std::string &path, double hz, int sampleRate, double seconds);

// RMS level (0..1) of each consecutive window of `windowMs`.
std::vector<double> windowLevels(const Wav &wav, int windowMs);

// The G.711 audio (PT 0 or 8) of the RTP packets of a classic pcap (Ethernet or Linux cooked
// capture, IPv4, UDP), decoded to 8 kHz mono in packet order: what a recorded call carried.
bool readPcapAudio(const std::string &path, Wav &out, std::string &error);

// How alike two recordings of the same sound are: the correlation (-1..1) of their RMS envelopes
// in `windowMs` windows at the best lag of `b` behind `a` within ±maxLagSeconds (in `lagSeconds`).
// It compares loudness over time, so it suits speech, whatever the codecs did to the waveform.
double envelopeCorrelation(const Wav &a, const Wav &b, int windowMs, double maxLagSeconds, double *lagSeconds);

}  // namespace sipw::test
