#pragma once
#include <string>

std::string encode(const std::string& text);
std::string decode(const std::string& text);
