#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "distill/report/html.hpp"

using namespace distill::report;

TEST_CASE("report html: escape replaces the five special characters and nothing else", "[report]") {
  CHECK(escape("a<b>&\"c'd") == "a&lt;b&gt;&amp;&quot;c&#39;d");
  CHECK(escape("plain text, 1.5 × 2") == "plain text, 1.5 × 2");
  CHECK(escape("") == "");
}

TEST_CASE("report html: base64 of RFC 4648's test vectors", "[report]") {
  auto b64 = [](const std::string& s) { return base64(reinterpret_cast<const unsigned char*>(s.data()), s.size()); };
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg==");
  CHECK(b64("fo") == "Zm8=");
  CHECK(b64("foo") == "Zm9v");
  CHECK(b64("foob") == "Zm9vYg==");
  CHECK(b64("fooba") == "Zm9vYmE=");
  CHECK(b64("foobar") == "Zm9vYmFy");
  const std::vector<unsigned char> high = {0xff, 0xfe, 0x00};
  CHECK(base64(high.data(), high.size()) == "//4A");
  CHECK(png_data_uri(high) == "data:image/png;base64,//4A");
}

TEST_CASE("report html: numbers, percentages and durations for people", "[report]") {
  CHECK(number(0.123456) == "0.1235");
  CHECK(number(std::nan("")) == "&#8211;");
  CHECK(percent(0.4567) == "45.67");
  CHECK(duration(3.44) == "3.4 s");
  CHECK(duration(725) == "12 min 5 s");
  CHECK(duration(7260) == "2 h 1 min");
  CHECK(duration(-1) == "&#8211;");
}

TEST_CASE("report html: a page is self-contained: no URL is fetched, the lightbox is inline", "[report]") {
  const std::string html = page("a <title>", "<main>body</main>");
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("<title>a &lt;title&gt;</title>") != std::string::npos);
  CHECK(html.find("<main>body</main>") != std::string::npos);
  CHECK(html.find("id=\"lightbox\"") != std::string::npos);
  for (const char* fetch : {"http://", "https://", "src=\"//", "@import", "url("}) {
    INFO(fetch);
    CHECK(html.find(fetch) == std::string::npos);
  }
  const std::string t = table({"a", "b"}, {{"1", "2"}, {"3", "4"}}, "kv");
  CHECK(t == "<table class=\"kv\"><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr>"
             "<tr><td>3</td><td>4</td></tr></tbody></table>");
}
