// Test helper: writes rows to a CSV and runs a scikit-learn script from testdata/ on it
// under Debian's /usr/bin/python3, returning the JSON it prints. Used by the differential
// tests; a missing python3-sklearn fails the test with a pointer to scripts/setup.sh.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ember/base/file_util.h"
#include "ember/base/json.h"
#include "ember/testing/conformance.h"

namespace ember::linear::internal {

inline Json RunSklearnReference(const std::string& script,
                                const std::vector<std::vector<double>>& x,
                                const std::vector<double>& y, const std::string& args) {
  std::string path = testing::NewTempDir("sklearn") + "/data.csv";
  std::string csv;
  for (size_t j = 0; j < (x.empty() ? 0 : x[0].size()); ++j) csv += "f" + std::to_string(j) + ",";
  csv += "label\n";
  char buf[64];
  for (size_t i = 0; i < y.size(); ++i) {
    for (double v : x[i]) {
      std::snprintf(buf, sizeof(buf), "%.17g,", v);
      csv += buf;
    }
    std::snprintf(buf, sizeof(buf), "%.17g\n", y[i]);
    csv += buf;
  }
  EXPECT_TRUE(WriteStringToFile(path, csv).ok());
  const std::string cmd = std::string("/usr/bin/python3 ") + EMBER_LINEAR_TESTDATA + "/" + script +
                          " " + path + " " + args;
  std::FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  while (pipe && std::fgets(buf, sizeof(buf), pipe)) out += buf;
  EXPECT_EQ(pipe ? pclose(pipe) : -1, 0)
      << "scikit-learn (python3-sklearn) is needed: run scripts/setup.sh";
  Result<Json> j = Json::Parse(out);
  EXPECT_TRUE(j.ok()) << out;
  return j.ok() ? *j : Json();
}

}  // namespace ember::linear::internal
