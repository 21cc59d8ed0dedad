#include "rpn.hpp"

#include <sstream>
#include <stdexcept>
#include <vector>

double eval_rpn(const std::string& expr) {
    std::istringstream in(expr);
    std::vector<double> stack;
    std::string token;
    while (in >> token) {
        if (token == "+" || token == "-" || token == "*" || token == "/") {
            if (stack.size() < 2) throw std::invalid_argument("too few operands for " + token);
            double b = stack.back();
            stack.pop_back();
            double a = stack.back();
            stack.pop_back();
            if (token == "+") stack.push_back(a + b);
            else if (token == "-") stack.push_back(a - b);
            else if (token == "*") stack.push_back(a * b);
            else {
                if (b == 0) throw std::domain_error("division by zero");
                stack.push_back(a / b);
            }
            continue;
        }
        std::size_t used = 0;
        double value = 0;
        try {
            value = std::stod(token, &used);
        } catch (const std::exception&) {
            throw std::invalid_argument("unknown token " + token);
        }
        if (used != token.size()) throw std::invalid_argument("unknown token " + token);
        stack.push_back(value);
    }
    if (stack.size() != 1) throw std::invalid_argument("expression leaves " + std::to_string(stack.size()) + " values");
    return stack.back();
}
