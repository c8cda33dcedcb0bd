// What the CLI's tests share: output and log streams captured for one command.
#pragma once

#include <sstream>

#include "commands.h"

namespace ember::cli {

struct Streams {
  std::ostringstream out, log;
  bool bar = false;
  CliContext ctx() { return CliContext{ExecContext::Default(), out, log, bar}; }
};

}  // namespace ember::cli
