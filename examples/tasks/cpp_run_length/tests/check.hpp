#pragma once
#include <iostream>
#include <string>

static int passed = 0, failed = 0;

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (cond) {                                                                \
            ++passed;                                                              \
        } else {                                                                   \
            ++failed;                                                              \
            std::cerr << __FILE__ << ":" << __LINE__ << ": failed: " #cond "\n"; \
        }                                                                          \
    } while (0)

template <typename F>
void check_throws(F f, const char *what) {
    try {
        f();
    } catch (...) {
        ++passed;
        return;
    }
    ++failed;
    std::cerr << "did not throw: " << what << "\n";
}

inline int finish() {
    std::cout << passed << " passed, " << failed << " failed\n";
    return failed == 0 ? 0 : 1;
}
