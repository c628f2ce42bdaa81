#ifndef DISTILL_REPORT_HTML_HPP
#define DISTILL_REPORT_HTML_HPP

// The pieces every report page is made of: escaping, embedded PNGs, number formatting, tables
// and the page shell (its style sheet and the one inline script that enlarges images). A page
// is self-contained: nothing is fetched when it is opened, not even a font.

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "distill/data/file_io.hpp"
#include "distill/data/directories.hpp"

namespace distill::report {

/// `text` with the five characters HTML gives a meaning to replaced by entities, so it may
/// stand in element content and in quoted attribute values alike.
inline std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

/// RFC 4648 base64 with padding.
inline std::string base64(const unsigned char* data, std::size_t size) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    const unsigned v = unsigned(data[i]) << 16 | (i + 1 < size ? unsigned(data[i + 1]) << 8 : 0u) |
                       (i + 2 < size ? unsigned(data[i + 2]) : 0u);
    out += digits[(v >> 18) & 63];
    out += digits[(v >> 12) & 63];
    out += i + 1 < size ? digits[(v >> 6) & 63] : '=';
    out += i + 2 < size ? digits[v & 63] : '=';
  }
  return out;
}

/// A PNG as a data: URI, so the image travels inside the page.
inline std::string png_data_uri(const std::vector<unsigned char>& png) {
  return "data:image/png;base64," + base64(png.data(), png.size());
}

/// `x` printed with printf's `format`; non-finite values print as an en dash.
inline std::string number(double x, const char* format = "%.4g") {
  if (!std::isfinite(x)) return "&#8211;";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

/// An accuracy in [0, 1] as a percentage with two decimals.
inline std::string percent(double x) { return number(100 * x, "%.2f"); }

/// "12 min 5 s", "3.4 s": a duration for people.
inline std::string duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "&#8211;";
  char buf[64];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  } else if (seconds < 3600) {
    std::snprintf(buf, sizeof buf, "%ld min %ld s", long(seconds) / 60, long(seconds) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld h %ld min", long(seconds) / 3600, long(seconds) % 3600 / 60);
  }
  return buf;
}

/// A table: a header row (none when `header` is empty) and body rows of cells that are already
/// HTML (escape text first).
inline std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                         const std::string& css_class = "") {
  std::string out = css_class.empty() ? "<table>" : "<table class=\"" + css_class + "\">";
  if (!header.empty()) {
    out += "<thead><tr>";
    for (const std::string& h : header) out += "<th>" + h + "</th>";
    out += "</tr></thead>";
  }
  out += "<tbody>";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const std::string& cell : row) out += "<td>" + cell + "</td>";
    out += "</tr>";
  }
  return out + "</tbody></table>";
}

/// The page around `body`: a title, the style sheet, the lightbox every image grid opens into
/// (click an image to enlarge it, click again or press Escape to close), and `body`.
inline std::string page(const std::string& title, const std::string& body) {
  static const char* style = R"CSS(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:21px;font-weight:600}
header p{margin:4px 0 0;color:#b8bfcc}main{padding:8px 28px 40px;max-width:1400px}
section{background:#fff;border:1px solid #dde1e7;border-radius:8px;margin:16px 0;padding:14px 18px}
h2{font-size:16px;margin:0 0 10px}h3{font-size:14px;margin:12px 0 6px;color:#4a5262}
table{border-collapse:collapse;margin:6px 0}th,td{padding:4px 10px;border-bottom:1px solid #e6e9ee;text-align:left;
vertical-align:top}th{background:#f0f2f5;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:14px}.chart{border:1px solid #e6e9ee;border-radius:6px;padding:6px 8px}
.chart h3{margin:2px 0 4px}.grid{display:inline-block}.grid .row{display:flex;align-items:center;gap:3px;margin:3px 0}
.grid .label{width:96px;font-size:12px;color:#4a5262;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
img.cell{image-rendering:pixelated;cursor:zoom-in;border-radius:2px}.grids{display:flex;flex-wrap:wrap;gap:24px}
.note{color:#6a7283;font-size:12px}.kv td:first-child{color:#4a5262}code{font-size:12px}
#lightbox{position:fixed;inset:0;background:rgba(20,24,32,.88);display:flex;flex-direction:column;align-items:center;
justify-content:center;cursor:zoom-out;z-index:10}#lightbox[hidden]{display:none}
#lightbox img{image-rendering:pixelated;width:min(70vh,70vw);height:min(70vh,70vw);object-fit:contain}
#lightbox p{color:#fff;margin:10px}
)CSS";
  static const char* script = R"JS(
(function(){
  var box=document.getElementById('lightbox'),img=document.getElementById('lightbox-image'),
      cap=document.getElementById('lightbox-caption');
  document.addEventListener('click',function(e){
    var t=e.target;
    if(t.classList&&t.classList.contains('cell')){img.src=t.src;cap.textContent=t.title;box.hidden=false;return;}
    if(!box.hidden&&box.contains(t))box.hidden=true;
  });
  document.addEventListener('keydown',function(e){if(e.key==='Escape')box.hidden=true;});
})();
)JS";
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  out += "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">";
  out += "<title>" + escape(title) + "</title><style>" + style + "</style></head><body>";
  out += body;
  out += "<div id=\"lightbox\" hidden><img id=\"lightbox-image\" alt=\"\"><p id=\"lightbox-caption\"></p></div>";
  out += "<script>" + std::string(script) + "</script></body></html>\n";
  return out;
}

/// Writes a page atomically (write_file_atomic), creating the directory it goes into.
inline void write_page(const std::string& path, const std::string& html) {
  create_parent_directories(path);
  write_file_atomic(path, {{html.data(), html.size()}});
}

}  // namespace distill::report

#endif  // DISTILL_REPORT_HTML_HPP
