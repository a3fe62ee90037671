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

namespace {

// ITU-T G.711 expansion of one sample to -1..1.
float alaw(uint8_t byte) {
    byte ^= 0x55;
    int exponent = (byte >> 4) & 7, mantissa = byte & 0x0f;
    int magnitude = exponent ? ((mantissa << 4) + 0x108) << (exponent - 1) : (mantissa << 4) + 8;
    return ((byte & 0x80) ? magnitude : -magnitude) / 32768.0f;
}

float mulaw(uint8_t byte) {
    byte = ~byte;
    int exponent = (byte >> 4) & 7, mantissa = byte & 0x0f;
    int magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    return ((byte & 0x80) ? -magnitude : magnitude) / 32768.0f;
}

uint32_t read32(const unsigned char *p, bool swapped) {
    return swapped ? (uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3])
                   : (uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]);
}

double correlation(const std::vector<double> &x, size_t xFrom, const std::vector<double> &y, size_t yFrom) {
    size_t n = std::min(x.size() - xFrom, y.size() - yFrom);
    if (n < 10) return -1;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; ++i) mx += x[xFrom + i], my += y[yFrom + i];
    mx /= double(n), my /= double(n);
    double num = 0, dx = 0, dy = 0;
    for (size_t i = 0; i < n; ++i) {
        double a = x[xFrom + i] - mx, b = y[yFrom + i] - my;
        num += a * b, dx += a * a, dy += b * b;
    }
    return dx > 0 && dy > 0 ? num / std::sqrt(dx * dy) : -1;
}

}  // namespace

bool writeToneWav(const std::string &path, double hz, int sampleRate, double seconds) {
    uint32_t frames = uint32_t(seconds * sampleRate), bytes = frames * 2;
    std::vector<unsigned char> out(44 + bytes);
    auto le16 = [&](size_t at, uint32_t v) { out[at] = uint8_t(v), out[at + 1] = uint8_t(v >> 8); };
    auto le32 = [&](size_t at, uint32_t v) { le16(at, v & 0xffff), le16(at + 2, v >> 16); };
    memcpy(out.data(), "RIFF", 4);
    le32(4, 36 + bytes);
    memcpy(out.data() + 8, "WAVEfmt ", 8);
    le32(16, 16);
    le16(20, 1);  // PCM
    le16(22, 1);  // mono
    le32(24, uint32_t(sampleRate));
    le32(28, uint32_t(sampleRate) * 2);
    le16(32, 2);
    le16(34, 16);
    memcpy(out.data() + 36, "data", 4);
    le32(40, bytes);
    for (uint32_t i = 0; i < frames; ++i)
        le16(44 + 2 * i, uint16_t(int16_t(16384 * std::sin(2 * M_PI * hz * i / sampleRate))));
    std::ofstream file(path, std::ios::binary);
    file.write(reinterpret_cast<const char *>(out.data()), std::streamsize(out.size()));
    return bool(file);
}

bool readPcapAudio(const std::string &path, Wav &out, std::string &error) {
    std::ifstream in(path, std::ios::binary);
    std::vector<unsigned char> d((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (d.size() < 24) return error = "not a pcap file", false;
    uint32_t magic = read32(d.data(), false);
    bool swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    if (!swapped && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) return error = "not a classic pcap file", false;
    uint32_t link = read32(d.data() + 20, swapped);
    size_t l2 = link == 1 ? 14 : link == 113 ? 16 : 0;
    if (!l2) return error = "link type " + std::to_string(link) + " is neither Ethernet nor Linux cooked", false;
    Wav wav;
    wav.sampleRate = 8000;
    wav.channels = 1;
    wav.bitsPerSample = 16;
    for (size_t off = 24; off + 16 <= d.size();) {
        size_t length = read32(d.data() + off + 8, swapped);
        const unsigned char *packet = d.data() + off + 16;
        off += 16 + length;
        if (off > d.size() || length < l2 + 20) break;
        const unsigned char *ip = packet + l2;
        size_t ipHeader = size_t(ip[0] & 0x0f) * 4;
        if ((ip[0] >> 4) != 4 || ip[9] != 17 || length < l2 + ipHeader + 8 + 12) continue;  // IPv4 UDP only
        const unsigned char *rtp = ip + ipHeader + 8;
        size_t rtpLength = length - l2 - ipHeader - 8;
        size_t header = 12 + size_t(rtp[0] & 0x0f) * 4;
        int pt = rtp[1] & 0x7f;
        if ((rtp[0] >> 6) != 2 || (pt != 0 && pt != 8) || rtpLength <= header) continue;
        for (size_t i = header; i < rtpLength; ++i) wav.samples.push_back(pt == 8 ? alaw(rtp[i]) : mulaw(rtp[i]));
    }
    if (wav.samples.empty()) return error = "no G.711 RTP in " + path, false;
    wav.dataBytes = unsigned(wav.samples.size() * 2);
    out = std::move(wav);
    return true;
}

double envelopeCorrelation(const Wav &a, const Wav &b, int windowMs, double maxLagSeconds, double *lagSeconds) {
    auto envA = windowLevels(a, windowMs), envB = windowLevels(b, windowMs);
    long maxLag = long(maxLagSeconds * 1000 / windowMs);
    double best = -1;
    for (long lag = -maxLag; lag <= maxLag; ++lag) {
        size_t fromA = lag < 0 ? size_t(-lag) : 0, fromB = lag > 0 ? size_t(lag) : 0;
        if (fromA >= envA.size() || fromB >= envB.size()) continue;
        double c = correlation(envA, fromA, envB, fromB);
        if (c > best) {
            best = c;
            if (lagSeconds) *lagSeconds = double(lag) * windowMs / 1000.0;
        }
    }
    return best;
}

}  // namespace sipw::test
