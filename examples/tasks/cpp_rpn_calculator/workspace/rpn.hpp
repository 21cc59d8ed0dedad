#pragma once
#include <string>

double eval_rpn(const std::string& expr);
