#include "audio_analysis.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

namespace sipw::test {

namespace {
constexpr size_t kTolerableTailBytes = 4 * 960;  // two 10 ms buffers of 48 kHz 16-bit stereo
}  // namespace
namespace {

uint32_t le32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }
uint16_t le16(const unsigned char *p) { return uint16_t(p[0] | p[1] << 8); }

double goertzelPower(const std::vector<float> &x, size_t begin, size_t end, double hz, int rate) {
    double coeff = 2 * std::cos(2 * M_PI * hz / rate);
    double s1 = 0, s2 = 0;
    for (size_t i = begin; i < end; ++i) {
        double s0 = x[i] + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

}  // namespace

bool readWav(const std::string &path, Wav &out, std::string &error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return error = "cannot open " + path, false;
    std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), {});
    if (bytes.size() < 12 || memcmp(&bytes[0], "RIFF", 4) || memcmp(&bytes[8], "WAVE", 4))
        return error = "not a RIFF/WAVE file", false;
    // The header must describe the file: a recording never finalized still has wavenc's
    // placeholder sizes (0). A tail of at most one mixer buffer or two beyond the declared size is
    // tolerated (seen rarely on a loaded machine: the last 10-20 ms written after the final
    // header; readers ignore it).
    size_t declared = size_t(le32(&bytes[4])) + 8;
    if (declared > bytes.size() || bytes.size() - declared > kTolerableTailBytes)
        return error = "RIFF size " + std::to_string(declared) + " != file size " +
                       std::to_string(bytes.size()), false;
    Wav wav;
    size_t pos = 12;
    bool haveFormat = false;
    while (pos + 8 <= bytes.size()) {
        uint32_t size = le32(&bytes[pos + 4]);
        const unsigned char *body = &bytes[pos + 8];
        if (pos + 8 + size > bytes.size()) return error = "truncated chunk", false;
        if (!memcmp(&bytes[pos], "fmt ", 4) && size >= 16) {
            if (le16(body) != 1) return error = "not PCM", false;
            wav.channels = le16(body + 2);
            wav.sampleRate = int(le32(body + 4));
            wav.bitsPerSample = le16(body + 14);
            haveFormat = true;
        } else if (!memcmp(&bytes[pos], "data", 4)) {
            if (!haveFormat || wav.bitsPerSample != 16 || wav.channels < 1)
                return error = "data before fmt, or not 16-bit", false;
            wav.dataBytes = size;
            size_t frames = size / (2u * wav.channels);
            wav.samples.resize(frames);
            for (size_t i = 0; i < frames; ++i)
                wav.samples[i] = int16_t(le16(body + i * 2 * wav.channels)) / 32768.0f;
            out = std::move(wav);
            return true;
        }
        pos += 8 + size + (size & 1);
    }
    return error = "no data chunk", false;
}

double dominantFrequency(const Wav &wav, size_t begin, size_t end, double minHz, double maxHz) {
    end = std::min(end, wav.samples.size());
    if (begin >= end || !wav.sampleRate) return 0;
    double best = minHz, bestPower = -1;
    // Power at `hz` summed over `pieces` short stretches spread over the range (or the whole range).
    auto power = [&](double hz, size_t pieces, size_t length) {
        if (!pieces) return goertzelPower(wav.samples, begin, end, hz, wav.sampleRate);
        double sum = 0, stride = double(end - begin - length) / double(pieces);
        for (size_t i = 0; i < pieces; ++i) {
            size_t from = begin + size_t(double(i) * stride);
            sum += goertzelPower(wav.samples, from, from + length, hz, wav.sampleRate);
        }
        return sum;
    };
    auto scan = [&](double from, double to, double step, size_t pieces, size_t length) {
        bestPower = -1;
        for (double hz = std::max(from, minHz); hz <= std::min(to, maxHz); hz += step) {
            double p = power(hz, pieces, length);
            if (p > bestPower) bestPower = p, best = hz;
        }
    };
    // Coarse on 40 ms stretches (a 25 Hz wide peak, so 5 Hz steps find it), then finer on the
    // whole range around it: a fraction of the work of a 1 Hz scan over everything.
    size_t stretch = size_t(wav.sampleRate / 25);
    if (end - begin > 4 * stretch) scan(minHz, maxHz, 5.0, 8, stretch);
    else scan(minHz, maxHz, 1.0, 0, 0);
    scan(best - 15, best + 15, 1.0, 0, 0);
    scan(best - 1, best + 1, 0.1, 0, 0);
    return best;
}

std::vector<double> windowLevels(const Wav &wav, int windowMs) {
    std::vector<double> levels;
    size_t window = size_t(wav.sampleRate) * size_t(windowMs) / 1000;
    if (!window) return levels;
    for (size_t start = 0; start + window <= wav.samples.size(); start += window) {
        double sum = 0;
        for (size_t i = start; i < start + window; ++i) sum += double(wav.samples[i]) * wav.samples[i];
        levels.push_back(std::sqrt(sum / double(window)));
    }
    return levels;
}

}  // namespace sipw::test
