#pragma once
// Synthetic messages for the channel tests (test-only). Every name, address and
// phone here is made up; PHI-hygiene assertions look for these strings.
#include <string>

#include "channels/channel.h"

namespace recall::channels::testing {

inline constexpr const char* kPatientEmail = "jane.roe@patients.example";
inline constexpr const char* kPracticeAddress = "100 Maple Ave, Springfield, IL 62701";

inline OutboundMessage SampleEmail(std::string message_id = "msg_0001") {
  OutboundMessage m;
  m.message_id = std::move(message_id);
  m.practice_id = "prc_maple";
  m.channel = "email";
  m.to = kPatientEmail;
  m.from_name = "Maple Dental";
  m.from_address = "office@mapledental.example";
  m.reply_to = "frontdesk@mapledental.example";
  m.subject = "Time for your checkup";
  m.text_body = "Hi Jane,\nIt has been six months. Call us at 555-0100 to book.\n\n" + std::string(kPracticeAddress) +
                "\n";
  m.html_body = "<html><body><p>Hi Jane,</p><p>It has been six months.</p><p>" + std::string(kPracticeAddress) +
                "</p></body></html>";
  m.unsubscribe_url = "https://recall.example/u/tok_abc123";
  m.unsubscribe_mailto = "mailto:unsubscribe@recall.example?subject=tok_abc123";
  m.postal_address = kPracticeAddress;
  return m;
}

inline OutboundMessage SpanishEmail(std::string message_id = "msg_0002") {
  OutboundMessage m = SampleEmail(std::move(message_id));
  m.from_name = "Clínica Dental Año Nuevo";
  m.subject = "Recordatorio: su revisión está próxima — ¿desea confirmar la cita?";
  m.text_body = "Hola Jane,\nHan pasado seis meses desde su última visita. ¡Llámenos!\n";
  m.html_body = "<html><body><p>Hola Jane,</p><p>Han pasado seis meses. ¡Llámenos!</p></body></html>";
  return m;
}

inline OutboundMessage SampleSms(std::string message_id = "msg_sms1") {
  OutboundMessage m;
  m.message_id = std::move(message_id);
  m.practice_id = "prc_maple";
  m.channel = "sms";
  m.to = "+15555550123";
  m.text_body = "Maple Dental: time for your checkup. Reply STOP to opt out.";
  return m;
}

}  // namespace recall::channels::testing
