#include "rle.hpp"

#include <cctype>
#include <stdexcept>

std::string encode(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t j = i;
        while (j < text.size() && text[j] == text[i]) ++j;
        if (j - i > 1) out += std::to_string(j - i);
        out += text[i];
        i = j;
    }
    return out;
}

std::string decode(const std::string& text) {
    std::string out;
    std::size_t count = 0;
    bool have_count = false;
    for (char c : text) {
        if (std::isdigit(static_cast<unsigned char>(c))) {
            count = count * 10 + static_cast<std::size_t>(c - '0');
            have_count = true;
            continue;
        }
        if (have_count && count == 0) throw std::invalid_argument("zero count");
        out.append(have_count ? count : 1, c);
        count = 0;
        have_count = false;
    }
    if (have_count) throw std::invalid_argument("text ends with a count");
    return out;
}
