#include "router.h"

#include <functional>
#include <stdexcept>
#include <unordered_map>

namespace uvws::detail {
namespace {

[[noreturn]] void bad_pattern(std::string_view pattern, const char* why) {
  throw std::invalid_argument("uvws::Server::route: pattern \"" + std::string(pattern) +
                              "\": " + why);
}

// The segments of `path` (which starts with '/'): "/" is one empty segment, "/a/" two.
std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  std::string_view rest = path.substr(1);
  for (;;) {
    const std::size_t slash = rest.find('/');
    out.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    rest.remove_prefix(slash + 1);
  }
}

// Heterogeneous lookup: a segment of the request path (a string_view) finds its child
// without building a std::string.
struct SegmentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

RoutePattern::RoutePattern(std::string text) : text_(std::move(text)) {
  if (text_ == "*") {
    catch_all_ = true;
    return;
  }
  if (text_.empty() || text_[0] != '/') {
    bad_pattern(text_, "must start with / (or be \"*\", the catch-all)");
  }
  const auto parts = split(text_);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string_view seg = parts[i];
    if (seg == "*") {
      if (i + 1 != parts.size()) bad_pattern(text_, "the wildcard * must be the last segment");
      names_.emplace_back("*");
    } else if (seg.find('*') != std::string_view::npos) {
      bad_pattern(text_, "* must be a whole segment (a trailing wildcard)");
    } else if (!seg.empty() && seg[0] == ':') {
      const std::string_view name = seg.substr(1);
      if (name.empty()) bad_pattern(text_, "a parameter needs a name (\":id\")");
      for (const std::string& n : names_) {
        if (n == name) bad_pattern(text_, "a parameter name is used twice");
      }
      names_.emplace_back(name);
    }
    segments_.emplace_back(seg);
  }
}

std::string_view RoutePattern::value(std::string_view path, std::size_t index) const {
  if (index >= names_.size() || path.empty() || path[0] != '/') return {};
  std::size_t seen = 0;
  std::string_view rest = path.substr(1);
  for (const std::string& seg : segments_) {
    const std::size_t slash = rest.find('/');
    if (seg == "*") return rest;  // the wildcard: the rest of the path
    if (!seg.empty() && seg[0] == ':' && seen++ == index) return rest.substr(0, slash);
    if (slash == std::string_view::npos) return {};
    rest.remove_prefix(slash + 1);
  }
  return {};
}

std::string_view RoutePattern::value(std::string_view path, std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return value(path, i);
  }
  return {};
}

std::vector<std::string_view> RoutePattern::values(std::string_view path) const {
  std::vector<std::string_view> out;
  out.reserve(names_.size());
  for (std::size_t i = 0; i < names_.size(); ++i) out.push_back(value(path, i));
  return out;
}

// One position in the patterns: its exact children, its parameter child (one name per
// position), the route that ends here and the one whose wildcard starts here.
struct Router::Node {
  std::unordered_map<std::string, std::unique_ptr<Node>, SegmentHash, std::equal_to<>> exact;
  std::unique_ptr<Node> param;
  std::string param_name;
  const Route* param_owner = nullptr;  // the first route through `param` (for the message)
  const Route* route = nullptr;
  const Route* wildcard = nullptr;

  // `rest` follows the '/' that ends the segment this node stands for; `more`: a segment
  // follows (otherwise the path ends here).
  const Route* match(std::string_view rest, bool more) const {
    if (!more) return route;
    const std::size_t slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    const bool next_more = slash != std::string_view::npos;
    const std::string_view next = next_more ? rest.substr(slash + 1) : std::string_view();
    if (auto it = exact.find(seg); it != exact.end()) {
      if (const Route* r = it->second->match(next, next_more)) return r;
    }
    if (param && !seg.empty()) {
      if (const Route* r = param->match(next, next_more)) return r;
    }
    return wildcard;
  }
};

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;

void Router::add(const Route& route) {
  const RoutePattern& p = route.pattern;
  const auto twice = [&](const Route& earlier) {
    throw std::invalid_argument("uvws::Server::route: \"" + p.text() +
                                "\" is already served by \"" + earlier.pattern.text() + "\"");
  };
  if (p.catch_all()) {
    if (catch_all_ != nullptr) twice(*catch_all_);
    catch_all_ = &route;
    return;
  }
  Node* node = root_.get();
  for (const std::string& seg : p.segments()) {
    if (seg == "*") {
      if (node->wildcard != nullptr) twice(*node->wildcard);
      node->wildcard = &route;
      return;
    }
    if (!seg.empty() && seg[0] == ':') {
      const std::string_view name = std::string_view(seg).substr(1);
      if (!node->param) {
        node->param = std::make_unique<Node>();
        node->param_name = name;
        node->param_owner = &route;
      } else if (node->param_name != name) {
        throw std::invalid_argument(
            "uvws::Server::route: \"" + p.text() + "\" names parameter :" + std::string(name) +
            " where \"" + node->param_owner->pattern.text() + "\" has :" + node->param_name);
      }
      node = node->param.get();
      continue;
    }
    auto& child = node->exact[seg];
    if (!child) child = std::make_unique<Node>();
    node = child.get();
  }
  if (node->route != nullptr) twice(*node->route);
  node->route = &route;
}

const Route* Router::find(std::string_view path) const {
  if (!path.empty() && path[0] == '/') {
    if (const Route* r = root_->match(path.substr(1), true)) return r;
  }
  return catch_all_;
}

}  // namespace uvws::detail
