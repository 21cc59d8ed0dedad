#include "rpn.hpp"

#include <stdexcept>

double eval_rpn(const std::string& expr) {
    (void)expr;
    throw std::logic_error("not implemented");
}
