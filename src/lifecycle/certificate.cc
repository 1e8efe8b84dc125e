#include "lifecycle/certificate.h"

#include <hpdf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "audit/audit.h"
#include "common/random.h"
#include "engine/engine.h"

namespace recall::lifecycle {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr char kFormat[] = "recall-deletion-certificate-v1";
constexpr char kPayloadHeader[] = "recall deletion certificate v1\n";
constexpr size_t kMaxJsonBytes = 1 << 20;

// One field of the signed payload: name ":" byte length ":" value "\n".
void Field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ':';
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

}  // namespace

std::string SignedPayload(const DeletionCertificate& c) {
  std::string out = kPayloadHeader;
  Field(out, "certificate_id", c.certificate_id);
  Field(out, "practice_id", c.practice_id);
  Field(out, "practice_name", c.practice_name);
  Field(out, "scope", c.scope);
  Field(out, "campaign_id", c.campaign_id);
  for (const auto& [kind, count] : c.counts) {  // std::map: byte order of kind
    std::string value = std::to_string(kind.size()) + ":" + kind + "=" + std::to_string(count);
    Field(out, "count", value);
  }
  for (const auto& step : c.method) Field(out, "method", step);
  Field(out, "crypto_shredded", c.crypto_shredded ? "true" : "false");
  for (const auto& key_id : c.destroyed_key_ids) Field(out, "destroyed_key_id", key_id);
  Field(out, "issued_at", c.issued_at);
  Field(out, "audit_seq", std::to_string(c.audit_seq));
  Field(out, "audit_hash", c.audit_hash);
  return out;
}

Status Sign(const crypto::SigningKey& key, DeletionCertificate& certificate) {
  ASSIGN_OR_RETURN(std::string signature, key.Sign(SignedPayload(certificate)));
  certificate.key_id = key.key_id();
  certificate.public_key = key.public_key();
  certificate.signature = std::move(signature);
  return OkStatus();
}

std::string ToJson(const DeletionCertificate& c) {
  json counts = json::object();
  for (const auto& [kind, count] : c.counts) counts[kind] = count;
  json out = {
      {"format", kFormat},
      {"certificate_id", c.certificate_id},
      {"practice_id", c.practice_id},
      {"practice_name", c.practice_name},
      {"scope", c.scope},
      {"campaign_id", c.campaign_id},
      {"counts", counts},
      {"method", c.method},
      {"crypto_shredded", c.crypto_shredded},
      {"destroyed_key_ids", c.destroyed_key_ids},
      {"issued_at", c.issued_at},
      {"audit_seq", c.audit_seq},
      {"audit_hash", c.audit_hash},
      {"signature_algorithm", "Ed25519"},
      {"key_id", c.key_id},
      {"public_key", HexEncode(c.public_key)},
      {"signature", HexEncode(c.signature)},
  };
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

namespace {

Status Malformed(std::string_view what) { return InvalidArgumentError("malformed certificate: " + std::string(what)); }

StatusOr<std::string> GetString(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return Malformed(std::string(name) + " missing or not a string");
  return it->get<std::string>();
}

StatusOr<std::vector<std::string>> GetStrings(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_array()) return Malformed(std::string(name) + " missing or not an array");
  std::vector<std::string> out;
  for (const auto& item : *it) {
    if (!item.is_string()) return Malformed(std::string(name) + " holds a non-string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

StatusOr<std::string> GetHex(const json& j, const char* name, size_t bytes) {
  ASSIGN_OR_RETURN(std::string hex, GetString(j, name));
  auto raw = HexDecode(hex);
  if (!raw.ok() || (!raw->empty() && raw->size() != bytes)) return Malformed(std::string(name) + " is not hex of the right size");
  return std::move(raw).value();
}

StatusOr<DeletionCertificate> FromJsonValue(const json& j) {
  if (!j.is_object()) return Malformed("not a JSON object");
  ASSIGN_OR_RETURN(std::string format, GetString(j, "format"));
  if (format != kFormat) return Malformed("unknown format");
  DeletionCertificate c;
  ASSIGN_OR_RETURN(c.certificate_id, GetString(j, "certificate_id"));
  ASSIGN_OR_RETURN(c.practice_id, GetString(j, "practice_id"));
  ASSIGN_OR_RETURN(c.practice_name, GetString(j, "practice_name"));
  ASSIGN_OR_RETURN(c.scope, GetString(j, "scope"));
  if (c.scope != kScopeCampaign && c.scope != kScopePractice) return Malformed("unknown scope");
  ASSIGN_OR_RETURN(c.campaign_id, GetString(j, "campaign_id"));
  auto counts = j.find("counts");
  if (counts == j.end() || !counts->is_object()) return Malformed("counts missing or not an object");
  for (const auto& [kind, n] : counts->items()) {
    if (!n.is_number_integer() || n.get<int64_t>() < 0) return Malformed("a count is not a non-negative integer");
    c.counts[kind] = n.get<int64_t>();
  }
  ASSIGN_OR_RETURN(c.method, GetStrings(j, "method"));
  auto shredded = j.find("crypto_shredded");
  if (shredded == j.end() || !shredded->is_boolean()) return Malformed("crypto_shredded missing or not a boolean");
  c.crypto_shredded = shredded->get<bool>();
  ASSIGN_OR_RETURN(c.destroyed_key_ids, GetStrings(j, "destroyed_key_ids"));
  ASSIGN_OR_RETURN(c.issued_at, GetString(j, "issued_at"));
  auto seq = j.find("audit_seq");
  if (seq == j.end() || !seq->is_number_integer() || seq->get<int64_t>() < 1) {
    return Malformed("audit_seq missing or not a positive integer");
  }
  c.audit_seq = seq->get<int64_t>();
  ASSIGN_OR_RETURN(c.audit_hash, GetString(j, "audit_hash"));
  ASSIGN_OR_RETURN(std::string algorithm, GetString(j, "signature_algorithm"));
  if (algorithm != "Ed25519") return Malformed("unknown signature algorithm");
  ASSIGN_OR_RETURN(c.key_id, GetString(j, "key_id"));
  ASSIGN_OR_RETURN(c.public_key, GetHex(j, "public_key", crypto::kEd25519PublicKeySize));
  ASSIGN_OR_RETURN(c.signature, GetHex(j, "signature", crypto::kEd25519SignatureSize));
  return c;
}

}  // namespace

StatusOr<DeletionCertificate> FromJson(std::string_view text) {
  if (text.size() > kMaxJsonBytes) return Malformed("larger than 1 MiB");
  try {
    json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/true);
    return FromJsonValue(j);
  } catch (const json::exception&) {
    return Malformed("not valid JSON");
  }
}

// --- files -------------------------------------------------------------------------

namespace {

// The PDF's fonts speak WinAnsi: anything outside printable ASCII becomes '?'.
std::string PdfText(std::string_view s) {
  std::string out;
  for (unsigned char ch : s) out += (ch >= 0x20 && ch < 0x7f) ? static_cast<char>(ch) : '?';
  return out;
}

// Greedy word wrap at `width` characters.
std::vector<std::string> Wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(pos, end - pos);
    pos = end + 1;
    while (word.size() > width) {  // a long token (hex): hard split
      if (!line.empty()) lines.push_back(std::move(line)), line.clear();
      lines.push_back(word.substr(0, width));
      word = word.substr(width);
    }
    if (!line.empty() && line.size() + 1 + word.size() > width) lines.push_back(std::move(line)), line.clear();
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty()) lines.push_back(std::move(line));
  if (lines.empty()) lines.emplace_back();
  return lines;
}

void OnHpdfError(HPDF_STATUS error_no, HPDF_STATUS detail_no, void* user_data) {
  (void)detail_no;
  auto* error = static_cast<HPDF_STATUS*>(user_data);
  if (*error == 0) *error = error_no;
}

// One A4 document written top to bottom; a new page when the current one is full.
class PdfWriter {
 public:
  PdfWriter() : doc_(HPDF_New(OnHpdfError, &error_)) {}
  ~PdfWriter() {
    if (doc_ != nullptr) HPDF_Free(doc_);
  }
  PdfWriter(const PdfWriter&) = delete;
  PdfWriter& operator=(const PdfWriter&) = delete;

  bool Start(const std::string& title) {
    if (doc_ == nullptr) return false;
    HPDF_SetInfoAttr(doc_, HPDF_INFO_TITLE, PdfText(title).c_str());
    HPDF_SetInfoAttr(doc_, HPDF_INFO_CREATOR, "Recall");
    regular_ = HPDF_GetFont(doc_, "Helvetica", nullptr);
    bold_ = HPDF_GetFont(doc_, "Helvetica-Bold", nullptr);
    mono_ = HPDF_GetFont(doc_, "Courier", nullptr);
    NewPage();
    return error_ == 0;
  }
  void Title(const std::string& text) {
    Line(bold_, 18, text);
    y_ -= 8;
  }
  void Heading(const std::string& text) {
    y_ -= 6;
    Line(bold_, 12, text);
  }
  // "Label: value", the value wrapped under the label.
  void Pair(const std::string& label, const std::string& value, bool mono = false) {
    const auto lines = Wrap(PdfText(value), mono ? 64 : 80);
    for (size_t idx = 0; idx < lines.size(); ++idx) {
      NeedSpace(14);
      if (idx == 0) Text(bold_, 10, kLeft, label);
      Text(mono ? mono_ : regular_, mono ? 9 : 10, kLeft + 120, lines[idx]);
      y_ -= 14;
    }
  }
  void Row(const std::string& left, const std::string& right) {
    NeedSpace(14);
    Text(regular_, 10, kLeft + 10, PdfText(left));
    Text(mono_, 10, kLeft + 260, PdfText(right));
    y_ -= 14;
  }
  void Paragraph(const std::string& text, size_t width = 95) {
    for (const auto& line : Wrap(PdfText(text), width)) Line(regular_, 10, line);
  }
  Status Save(const std::string& path) {
    if (error_ != 0 || HPDF_SaveToFile(doc_, path.c_str()) != HPDF_OK || error_ != 0) {
      return InternalError("cannot render the deletion certificate PDF (libhpdf error " + std::to_string(error_) + ")");
    }
    return OkStatus();
  }

 private:
  static constexpr float kLeft = 56;
  static constexpr float kTop = 842 - 56;
  static constexpr float kBottom = 56;

  void NewPage() {
    page_ = HPDF_AddPage(doc_);
    HPDF_Page_SetSize(page_, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    y_ = kTop;
  }
  void NeedSpace(float height) {
    if (y_ - height < kBottom) NewPage();
  }
  void Line(HPDF_Font font, float size, const std::string& text) {
    NeedSpace(size + 4);
    Text(font, size, kLeft, PdfText(text));
    y_ -= size + 4;
  }
  void Text(HPDF_Font font, float size, float x, const std::string& text) {
    if (page_ == nullptr || font == nullptr) return;
    HPDF_Page_BeginText(page_);
    HPDF_Page_SetFontAndSize(page_, font, size);
    HPDF_Page_TextOut(page_, x, y_ - size, text.c_str());
    HPDF_Page_EndText(page_);
  }

  HPDF_STATUS error_ = 0;
  HPDF_Doc doc_;
  HPDF_Page page_ = nullptr;
  HPDF_Font regular_ = nullptr, bold_ = nullptr, mono_ = nullptr;
  float y_ = kTop;
};

Status RenderPdf(const DeletionCertificate& c, const std::string& path) {
  PdfWriter pdf;
  if (!pdf.Start("Certificate of deletion " + c.certificate_id)) return InternalError("cannot start the PDF document");
  pdf.Title("Certificate of Deletion");
  pdf.Paragraph("This certificate confirms that the data described below was destroyed by Recall. It is signed; "
                "check it with: recall certificate verify " + std::string(kCertificateJsonName));
  pdf.Heading("Certificate");
  pdf.Pair("Certificate ID", c.certificate_id, true);
  pdf.Pair("Issued at (UTC)", c.issued_at);
  pdf.Pair("Practice", c.practice_name);
  pdf.Pair("Practice ID", c.practice_id, true);
  pdf.Pair("Scope", c.scope == kScopeCampaign ? "the recipients of campaign " + c.campaign_id : "the whole practice");
  pdf.Heading("Deleted, per kind");
  if (c.counts.empty()) pdf.Row("(nothing)", "0");
  for (const auto& [kind, count] : c.counts) pdf.Row(kind, std::to_string(count));
  pdf.Heading("Method");
  int step_no = 1;
  for (const auto& step : c.method) pdf.Paragraph(std::to_string(step_no++) + ". " + step);
  pdf.Pair("Crypto-shredded", c.crypto_shredded ? "yes" : "no");
  if (!c.destroyed_key_ids.empty()) {
    std::string ids;
    for (const auto& id : c.destroyed_key_ids) ids += (ids.empty() ? "" : " ") + id;
    pdf.Pair("Destroyed keys", ids, true);
  }
  pdf.Heading("Evidence");
  pdf.Pair("Audit record", "seq " + std::to_string(c.audit_seq));
  pdf.Pair("Audit hash", c.audit_hash, true);
  pdf.Pair("Signing key ID", c.key_id, true);
  pdf.Pair("Public key", HexEncode(c.public_key), true);
  pdf.Pair("Signature", HexEncode(c.signature) + " (Ed25519)", true);
  return pdf.Save(path);
}

Status WriteAndRename(const fs::path& tmp, const fs::path& final_path, const std::string& body) {
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << body;
    out.flush();
    if (!out) return InternalError("cannot write " + final_path.filename().string());
  }
  std::error_code ec;
  fs::rename(tmp, final_path, ec);
  if (ec) return InternalError("cannot write " + final_path.filename().string());
  return OkStatus();
}

}  // namespace

Status WriteCertificateFiles(const DeletionCertificate& certificate, const std::string& out_dir) {
  std::error_code ec;
  const fs::path dir(out_dir);
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return InternalError("cannot create the certificate directory");
    ::chmod(dir.c_str(), 0700);
  }
  const std::string tag = ".tmp-" + std::to_string(::getpid());
  const fs::path json_tmp = dir / (std::string(kCertificateJsonName) + tag);
  const fs::path pdf_tmp = dir / (std::string(kCertificatePdfName) + tag);
  Status pdf = RenderPdf(certificate, pdf_tmp.string());
  if (!pdf.ok()) {
    fs::remove(pdf_tmp, ec);
    return pdf;
  }
  Status json_written = WriteAndRename(json_tmp, dir / kCertificateJsonName, ToJson(certificate));
  if (!json_written.ok()) {
    fs::remove(json_tmp, ec);
    fs::remove(pdf_tmp, ec);
    return json_written;
  }
  fs::rename(pdf_tmp, dir / kCertificatePdfName, ec);
  if (ec) {
    fs::remove(pdf_tmp, ec);
    return InternalError("cannot write " + std::string(kCertificatePdfName));
  }
  return OkStatus();
}

// --- verification ------------------------------------------------------------------

StatusOr<VerifyResult> Verify(engine::Engine& engine, std::string_view json_text) {
  VerifyResult result;
  auto parsed = FromJson(json_text);
  if (!parsed.ok()) {
    result.reason = parsed.status().message();
    return result;
  }
  const DeletionCertificate& c = *parsed;
  result.signature_valid = crypto::SigningKeyId(c.public_key) == c.key_id &&
                           crypto::VerifySignature(c.public_key, SignedPayload(c), c.signature).ok();
  const auto known = engine.signing_keys().KnownKeys();
  const auto key = known.find(c.key_id);
  result.key_known = key != known.end() && key->second == c.public_key;
  RETURN_IF_ERROR(engine.store().audit().Scan(c.audit_seq, [&](const audit::AuditRecord& record) {
    result.audit_record_found = record.seq == c.audit_seq && record.hash == c.audit_hash;
    return false;  // only the first record (seq == audit_seq) matters
  }));
  if (!result.signature_valid) {
    result.reason = "the signature does not verify: the certificate was altered or not signed";
  } else if (!result.key_known) {
    // The key id comes from the document: name it only when it looks like one.
    const bool shaped = c.key_id.size() == 16 && std::all_of(c.key_id.begin(), c.key_id.end(), [](char ch) {
      return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
    });
    result.reason = "signed by " + (shaped ? "key " + c.key_id : std::string("a key")) +
                    " that is not one of this installation's signing keys";
  } else if (!result.audit_record_found) {
    result.reason = "audit record " + std::to_string(c.audit_seq) + " with that hash is not in this installation's log";
  }
  result.ok = result.signature_valid && result.key_known && result.audit_record_found;
  return result;
}

}  // namespace recall::lifecycle
