#include <cmath>
#include <stdexcept>

#include "../workspace/rpn.hpp"
#include "check.hpp"

int main() {
    CHECK(eval_rpn("3 4 +") == 7);
    CHECK(eval_rpn("5 1 2 + 4 * + 3 -") == 14);
    CHECK(std::fabs(eval_rpn("-2.5 2 *") + 5) < 1e-9);
    CHECK(eval_rpn("  10   4 / ") == 2.5);
    CHECK(eval_rpn("42") == 42);
    check_throws([] { eval_rpn("1 +"); }, "too few operands");
    check_throws([] { eval_rpn("1 2"); }, "two values left");
    check_throws([] { eval_rpn(""); }, "empty");
    check_throws([] { eval_rpn("1 2 ^"); }, "unknown operator");
    bool domain = false;
    try {
        eval_rpn("1 0 /");
    } catch (const std::domain_error&) {
        domain = true;
    } catch (...) {
    }
    CHECK(domain);
    return finish();
}
