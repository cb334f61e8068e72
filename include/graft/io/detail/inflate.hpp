#pragma once
/// \file
/// A small raw-DEFLATE decoder (RFC 1951), used only for the deflated source records of TorchScript
/// archives (never for tensor data). Output is capped at the size the zip entry declares (internal).

#include <graft/error.hpp>
#include <graft/io/byte_span.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace graft::io::detail {

class inflater {
public:
  inflater(byte_span in, std::size_t out_size, std::string label)
      : in_(in), limit_(out_size), label_(std::move(label)) {
    out_.reserve(out_size);
  }

  std::string run() {
    bool last = false;
    while (!last) {
      last = bits(1) != 0;
      switch (bits(2)) {
        case 0: stored(); break;
        case 1: fixed(); break;
        case 2: dynamic(); break;
        default: fail("invalid block type");
      }
    }
    if (out_.size() != limit_) fail("inflated size differs from the declared size");
    return std::move(out_);
  }

private:
  struct huffman {
    std::array<std::uint16_t, 16> count{};
    std::array<std::uint16_t, 288> symbol{};
  };

  [[noreturn]] void fail(const std::string& what) const { throw checkpoint_error(label_ + ": deflate: " + what); }

  unsigned bits(int need) {
    std::uint32_t v = bitbuf_;
    while (bitcnt_ < need) {
      if (pos_ >= in_.size) fail("compressed data truncated");
      v |= static_cast<std::uint32_t>(std::to_integer<unsigned>(in_.data[pos_++])) << bitcnt_;
      bitcnt_ += 8;
    }
    bitbuf_ = v >> need;
    bitcnt_ -= need;
    return v & ((1u << need) - 1u);
  }

  void put(char c) {
    if (out_.size() >= limit_) fail("inflates beyond the declared size");
    out_.push_back(c);
  }

  void stored() {
    bitbuf_ = 0;
    bitcnt_ = 0;
    if (in_.size - pos_ < 4) fail("compressed data truncated");
    unsigned len = std::to_integer<unsigned>(in_.data[pos_]) | (std::to_integer<unsigned>(in_.data[pos_ + 1]) << 8);
    unsigned nlen =
        std::to_integer<unsigned>(in_.data[pos_ + 2]) | (std::to_integer<unsigned>(in_.data[pos_ + 3]) << 8);
    pos_ += 4;
    if (len != (~nlen & 0xffffu)) fail("stored block length check failed");
    if (in_.size - pos_ < len) fail("compressed data truncated");
    for (unsigned i = 0; i < len; ++i) put(static_cast<char>(in_.data[pos_ + i]));
    pos_ += len;
  }

  // Builds canonical Huffman decoding tables; false for an over-subscribed or incomplete set.
  static bool build(huffman& h, const std::uint16_t* lengths, int n, bool allow_incomplete) {
    h.count.fill(0);
    for (int s = 0; s < n; ++s) h.count[lengths[s]]++;
    if (h.count[0] == n) return allow_incomplete;
    int left = 1;
    for (int len = 1; len < 16; ++len) {
      left <<= 1;
      left -= h.count[len];
      if (left < 0) return false;
    }
    std::array<std::uint16_t, 16> offs{};
    for (int len = 1; len < 15; ++len) offs[len + 1] = offs[len] + h.count[len];
    for (int s = 0; s < n; ++s)
      if (lengths[s] != 0) h.symbol[offs[lengths[s]]++] = static_cast<std::uint16_t>(s);
    return left == 0 || allow_incomplete;
  }

  int decode(const huffman& h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len < 16; ++len) {
      code |= static_cast<int>(bits(1));
      int count = h.count[len];
      if (code - count < first) return h.symbol[index + (code - first)];
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    fail("invalid Huffman code");
  }

  void codes(const huffman& lit, const huffman& dist) {
    static constexpr std::uint16_t lbase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                                31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr std::uint16_t lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                               2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr std::uint16_t dbase[30] = {1,    2,    3,    4,    5,    7,    9,    13,    17,    25,
                                                33,   49,   65,   97,   129,  193,  257,  385,   513,   769,
                                                1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static constexpr std::uint16_t dext[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                               6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      int sym = decode(lit);
      if (sym < 256) {
        put(static_cast<char>(sym));
      } else if (sym == 256) {
        return;
      } else {
        sym -= 257;
        if (sym >= 29) fail("invalid length code");
        std::size_t len = lbase[sym] + bits(lext[sym]);
        int ds = decode(dist);
        if (ds >= 30) fail("invalid distance code");
        std::size_t d = dbase[ds] + bits(dext[ds]);
        if (d > out_.size()) fail("distance reaches before the start of the output");
        for (std::size_t i = 0; i < len; ++i) put(out_[out_.size() - d]);
      }
    }
  }

  void fixed() {
    std::uint16_t l[288 + 30];
    int s = 0;
    for (; s < 144; ++s) l[s] = 8;
    for (; s < 256; ++s) l[s] = 9;
    for (; s < 280; ++s) l[s] = 7;
    for (; s < 288; ++s) l[s] = 8;
    for (; s < 288 + 30; ++s) l[s] = 5;
    huffman lit, dist;
    build(lit, l, 288, true);
    build(dist, l + 288, 30, true);
    codes(lit, dist);
  }

  void dynamic() {
    static constexpr std::uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    int nlen = static_cast<int>(bits(5)) + 257, ndist = static_cast<int>(bits(5)) + 1,
        ncode = static_cast<int>(bits(4)) + 4;
    if (nlen > 286 || ndist > 30) fail("bad code counts");
    std::uint16_t l[320] = {};
    for (int i = 0; i < ncode; ++i) l[order[i]] = static_cast<std::uint16_t>(bits(3));
    huffman lencode;
    if (!build(lencode, l, 19, false)) fail("bad code-length code");
    int i = 0;
    while (i < nlen + ndist) {
      int sym = decode(lencode);
      if (sym < 16) {
        l[i++] = static_cast<std::uint16_t>(sym);
        continue;
      }
      std::uint16_t len = 0;
      int rep;
      if (sym == 16) {
        if (i == 0) fail("repeat with no previous length");
        len = l[i - 1];
        rep = 3 + static_cast<int>(bits(2));
      } else if (sym == 17) {
        rep = 3 + static_cast<int>(bits(3));
      } else {
        rep = 11 + static_cast<int>(bits(7));
      }
      if (i + rep > nlen + ndist) fail("too many code lengths");
      while (rep--) l[i++] = len;
    }
    if (l[256] == 0) fail("no end-of-block code");
    huffman lit, dist;
    if (!build(lit, l, nlen, true)) fail("bad literal/length code");
    if (!build(dist, l + nlen, ndist, true)) fail("bad distance code");
    codes(lit, dist);
  }

  byte_span in_;
  std::size_t limit_;
  std::string label_;
  std::string out_;
  std::size_t pos_ = 0;
  std::uint32_t bitbuf_ = 0;
  int bitcnt_ = 0;
};

/// Inflates raw DEFLATE data that must produce exactly `out_size` bytes.
inline std::string inflate(byte_span in, std::size_t out_size, const std::string& label) {
  return inflater(in, out_size, label).run();
}

}  // namespace graft::io::detail
