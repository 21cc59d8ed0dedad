#include <string>

#include "../workspace/rle.hpp"
#include "check.hpp"

int main() {
    CHECK(encode("aaabccdddd") == "3ab2c4d");
    CHECK(encode("") == "");
    CHECK(encode("abc") == "abc");
    CHECK(encode(std::string(12, 'z')) == "12z");
    CHECK(decode("3ab2c4d") == "aaabccdddd");
    CHECK(decode("12z") == std::string(12, 'z'));
    for (const std::string s : {"hello  world", "mississippi", "x", "   "}) {
        CHECK(decode(encode(s)) == s);
    }
    check_throws([] { decode("3a4"); }, "trailing count");
    check_throws([] { decode("0a"); }, "zero count");
    return finish();
}
