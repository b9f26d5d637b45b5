// Every plugin documents exactly the options it declares, and its generated
// sample config (`routerpulse plugins --sample NAME`) passes `routerpulse check`.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include "engine/plugin_loader.hpp"
#include "harness.hpp"

using namespace routerpulse;

namespace {

struct Row {
  std::string name, deflt;
};

std::string trim(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

/// The rows of the README's `## Options` table: `| \`name\` | type | default | description |`.
std::vector<Row> option_rows(const std::string& readme) {
  std::vector<Row> rows;
  std::istringstream in(readme);
  bool in_section = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) {
      in_section = trim(line) == "## Options";
      continue;
    }
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    // Split on '|' outside backticks.
    std::vector<std::string> cells;
    std::string cell;
    bool tick = false;
    for (size_t i = 1; i < line.size(); ++i) {
      char c = line[i];
      if (c == '`') tick = !tick;
      if (c == '|' && !tick) {
        cells.push_back(trim(cell));
        cell.clear();
      } else {
        cell.push_back(c);
      }
    }
    if (cells.size() < 3) continue;
    std::string name = cells[0];
    if (name.size() >= 2 && name.front() == '`' && name.back() == '`') name = name.substr(1, name.size() - 2);
    rows.push_back({name, cells[2]});
  }
  return rows;
}

std::string expected_default(const OptionSpec& s) {
  if (s.required) return "**required**";
  if (s.default_value) return std::string("`") + s.default_value + "`";
  return "—";
}

std::vector<PluginLoader::Loaded> all_plugins(PluginLoader& loader) {
  std::vector<std::string> errors;
  auto all = loader.load_all(&errors);
  for (const auto& e : errors) FAIL(e);
  REQUIRE(!all.empty());
  return all;
}

}  // namespace

TEST_CASE("each plugin README's Options table matches its declared options", "[docs]") {
  PluginLoader loader(test::plugin_dir());
  for (const auto& l : all_plugins(loader)) {
    const auto& d = *l.descriptor;
    std::string readme_path = test::source_dir() + "/plugins/" + to_string(d.kind) + "s/" + d.name + "/README.md";
    DYNAMIC_SECTION(d.name) {
      INFO(readme_path);
      auto readme = test::read_file(readme_path);
      REQUIRE(!readme.empty());
      CHECK(readme.rfind(std::string("# ") + to_string(d.kind) + " `" + d.name + "`", 0) == 0);  // template title
      auto rows = option_rows(readme);
      std::vector<std::string> documented, declared;
      for (const auto& r : rows) documented.push_back(r.name + " = " + r.deflt);
      for (const auto& s : d.options) declared.push_back(std::string(s.name) + " = " + expected_default(s));
      CHECK(documented == declared);
    }
  }
}

TEST_CASE("`plugins --sample NAME` prints a config that passes `check`, for every plugin", "[docs][cli]") {
  PluginLoader loader(test::plugin_dir());
  std::string bin = test::build_dir() + "/routerpulse";
  for (const auto& l : all_plugins(loader)) {
    const auto& d = *l.descriptor;
    DYNAMIC_SECTION(d.name) {
      test::TempDir dir;
      auto path = dir.file("sample.yaml");
      // Samples name example files relative to the config's folder (e.g. the
      // lua sample's scripts/lua/units.lua): give the folder the repo's scripts/.
      std::filesystem::create_directory_symlink(test::source_dir() + "/scripts", dir.file("scripts"));
      std::string sample;
      std::string name = std::string(to_string(d.kind)) + "." + d.name;
      REQUIRE(test::run_command(bin + " plugins --plugin-dir " + test::plugin_dir() + " --sample " + name, &sample) ==
              0);
      test::write_file(path, sample);
      std::string out;
      int rc = test::run_command(bin + " check -c " + path + " 2>&1", &out);
      INFO(sample);
      INFO(out);
      CHECK(rc == 0);
    }
  }
}
