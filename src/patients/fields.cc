// Header aliases for the allow-listed fields (documented in docs/import.md).
#include <array>
#include <string>

#include "common/text.h"
#include "patients/patients.h"

namespace recall::patients {

namespace {

// Lower-case ASCII letters and digits only: "E-mail Address" -> "emailaddress".
std::string HeaderKey(std::string_view header) {
  std::string key;
  for (char c : header) {
    if (c >= 'A' && c <= 'Z') key.push_back(static_cast<char>(c + 32));
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) key.push_back(c);
  }
  return key;
}

struct Alias {
  const char* key;
  Field field;
};

constexpr Alias kAliases[] = {
    {"externalid", Field::kExternalId}, {"patientid", Field::kExternalId}, {"patid", Field::kExternalId},
    {"ptid", Field::kExternalId}, {"id", Field::kExternalId}, {"mrn", Field::kExternalId},
    {"chartnumber", Field::kExternalId}, {"chartno", Field::kExternalId}, {"chart", Field::kExternalId},
    {"accountnumber", Field::kExternalId}, {"accountno", Field::kExternalId}, {"patientnumber", Field::kExternalId},
    {"patientno", Field::kExternalId}, {"patientaccount", Field::kExternalId},
    {"firstname", Field::kFirstName}, {"patientfirstname", Field::kFirstName}, {"ptfirstname", Field::kFirstName},
    {"fname", Field::kFirstName}, {"givenname", Field::kFirstName}, {"first", Field::kFirstName},
    {"lastname", Field::kLastName}, {"patientlastname", Field::kLastName}, {"ptlastname", Field::kLastName},
    {"lname", Field::kLastName}, {"surname", Field::kLastName}, {"familyname", Field::kLastName},
    {"last", Field::kLastName},
    {"email", Field::kEmail}, {"emailaddress", Field::kEmail}, {"patientemail", Field::kEmail},
    {"patientemailaddress", Field::kEmail}, {"mail", Field::kEmail},
    {"phone", Field::kPhone}, {"phonenumber", Field::kPhone}, {"primaryphone", Field::kPhone},
    {"patientphone", Field::kPhone}, {"contactphone", Field::kPhone}, {"telephone", Field::kPhone},
    {"cellphone", Field::kMobilePhone}, {"cell", Field::kMobilePhone}, {"cellnumber", Field::kMobilePhone},
    {"mobile", Field::kMobilePhone}, {"mobilephone", Field::kMobilePhone}, {"mobilenumber", Field::kMobilePhone},
    {"textphone", Field::kMobilePhone}, {"smsphone", Field::kMobilePhone}, {"cellphonenumber", Field::kMobilePhone},
    {"homephone", Field::kHomePhone}, {"home", Field::kHomePhone}, {"landline", Field::kHomePhone},
    {"homephonenumber", Field::kHomePhone},
    {"language", Field::kLanguage}, {"preferredlanguage", Field::kLanguage}, {"lang", Field::kLanguage},
    {"primarylanguage", Field::kLanguage},
    {"lastvisit", Field::kLastVisit}, {"lastvisitdate", Field::kLastVisit}, {"lastapptdate", Field::kLastVisit},
    {"lastappt", Field::kLastVisit}, {"lastappointment", Field::kLastVisit},
    {"lastappointmentdate", Field::kLastVisit}, {"lastseen", Field::kLastVisit}, {"lastdos", Field::kLastVisit},
    {"status", Field::kStatus}, {"patientstatus", Field::kStatus},
    {"provider", Field::kProvider}, {"providername", Field::kProvider}, {"primaryprovider", Field::kProvider},
    {"doctor", Field::kProvider}, {"renderingprovider", Field::kProvider},
    {"zip", Field::kPostalCode}, {"zipcode", Field::kPostalCode}, {"postalcode", Field::kPostalCode},
    {"state", Field::kState},
    {"smsconsent", Field::kSmsConsent}, {"textconsent", Field::kSmsConsent}, {"smsoptin", Field::kSmsConsent},
    {"emailconsent", Field::kEmailConsent}, {"emailoptin", Field::kEmailConsent},
};

struct Name {
  const char* name;
  Field field;
};
constexpr Name kNames[] = {
    {"external_id", Field::kExternalId}, {"first_name", Field::kFirstName}, {"last_name", Field::kLastName},
    {"email", Field::kEmail}, {"phone", Field::kPhone}, {"mobile_phone", Field::kMobilePhone},
    {"home_phone", Field::kHomePhone}, {"language", Field::kLanguage}, {"last_visit", Field::kLastVisit},
    {"status", Field::kStatus}, {"provider_name", Field::kProvider}, {"postal_code", Field::kPostalCode},
    {"state", Field::kState}, {"sms_consent", Field::kSmsConsent}, {"email_consent", Field::kEmailConsent},
};

}  // namespace

std::optional<Field> FieldFromName(std::string_view name) {
  for (const auto& n : kNames) {
    if (name == n.name) return n.field;
  }
  return std::nullopt;
}

std::optional<Field> FieldFromHeader(std::string_view header) {
  const std::string key = HeaderKey(header);
  for (const auto& a : kAliases) {
    if (key == a.key) return a.field;
  }
  return std::nullopt;
}

}  // namespace recall::patients
