#include "inbound/rules.h"

#include <array>

namespace recall::inbound::internal {
namespace {

using enum KeywordKind;
constexpr PhraseKind kStopPhrase = PhraseKind::kOptOut;
constexpr PhraseKind kUrgent = PhraseKind::kUrgent;
constexpr PhraseKind kClinical = PhraseKind::kClinical;
constexpr RuleLanguage kAny = RuleLanguage::kAny;
constexpr RuleLanguage kEn = RuleLanguage::kEnglish;
constexpr RuleLanguage kEs = RuleLanguage::kSpanish;

// Shared alternatives for "the thing we send".
#define RECALL_MSGS_EN                                                                             \
  "texts|text|txts|txt|messages|message|msgs|msg|sms|reminders|reminder|emails|email|notifications|" \
  "notification|alerts|alert|spam|marketing"
#define RECALL_APPT "appointment|appt|appointments|text|email|sms?"
#define RECALL_MSGS_ES \
  "mensajes|mensaje|textos|texto|msjs|msj|sms|recordatorios|recordatorio|llamadas|correos|notificaciones|avisos"

constexpr std::array kKeywords = {
    // Opt-out. The FCC per-se words are stop, quit, end, revoke, opt out, cancel
    // and unsubscribe; "cancel", "end" and "quit" are weak because they are
    // also ordinary words about appointments ("Cancel, I can't make it").
    KeywordRule{"opt_out.stop", kOptOut, kAny, true, "stop"},
    KeywordRule{"opt_out.stopall", kOptOut, kAny, true, "stopall,stop all"},
    KeywordRule{"opt_out.stop_it", kOptOut, kEn, true, "stop it,stop this,stop that,stop them,stop everything"},
    KeywordRule{"opt_out.unsubscribe", kOptOut, kEn, true,
                "unsubscribe,unsub,unsuscribe,unsubcribe,unsubscribe me,unsubscribe all"},
    KeywordRule{"opt_out.opt_out", kOptOut, kEn, true, "opt out,optout,opt me out"},
    KeywordRule{"opt_out.revoke", kOptOut, kEn, true, "revoke,revoke consent,revoke my consent"},
    KeywordRule{"opt_out.no_more", kOptOut, kEn, true, "no more"},
    KeywordRule{"opt_out.cancel", kOptOut, kEn, false, "cancel,cancel all,cancel everything"},
    KeywordRule{"opt_out.end", kOptOut, kEn, false, "end,end all"},
    KeywordRule{"opt_out.quit", kOptOut, kEn, false, "quit,quit it"},
    KeywordRule{"opt_out.es.parar", kOptOut, kEs, true, "parar"},
    KeywordRule{"opt_out.es.baja", kOptOut, kEs, true, "baja,darme de baja,dar de baja,de baja"},
    KeywordRule{"opt_out.es.no_mas", kOptOut, kEs, true, "no mas"},
    KeywordRule{"opt_out.es.cancelar", kOptOut, kEs, false, "cancelar,cancela,cancelen,cancelar todo"},
    KeywordRule{"opt_out.es.alto", kOptOut, kEs, false, "alto"},
    KeywordRule{"opt_out.es.para", kOptOut, kEs, false, "para,paren,pare"},
    KeywordRule{"opt_out.es.basta", kOptOut, kEs, false, "basta"},
    KeywordRule{"opt_out.es.detener", kOptOut, kEs, false, "detener,detente,detengan"},

    KeywordRule{"opt_in.start", kOptIn, kAny, false, "start"},
    KeywordRule{"opt_in.unstop", kOptIn, kAny, false, "unstop"},
    KeywordRule{"opt_in.opt_in", kOptIn, kEn, false, "opt in,optin,opt me in,subscribe,resubscribe"},

    KeywordRule{"help.help", kHelp, kAny, false, "help"},
    KeywordRule{"help.info", kHelp, kAny, false, "info,information"},
    KeywordRule{"help.es.ayuda", kHelp, kEs, false, "ayuda,informacion"},

    KeywordRule{"confirm.c", kConfirm, kAny, false, "c"},
    KeywordRule{"confirm.confirm", kConfirm, kEn, false,
                "confirm,confirmed,confirming,i confirm,confirm appointment,confirm appt,"
                "confirm my appointment,confirm my appt,appointment confirmed,appt confirmed"},
    KeywordRule{"confirm.es.confirmo", kConfirm, kEs, false,
                "confirmo,confirmado,confirmada,confirmar,confirmo cita,confirmo mi cita,confirmo la cita,"
                "cita confirmada"},

    KeywordRule{"yes.yes", kYes, kEn, false, "yes,y,yeah,yea,yep,yup,ill be there,i will be there,will be there"},
    KeywordRule{"yes.es.si", kYes, kEs, false, "si,claro,si claro,ahi estare,alli estare"},
    KeywordRule{"consent_yes.agree", kConsentYes, kEn, false, "i agree,agree,i consent,i accept,accept"},
    KeywordRule{"consent_yes.es.acepto", kConsentYes, kEs, false, "acepto,si acepto"},

    KeywordRule{"filler", kFiller, kAny, false,
                "please,pls,plz,plse,pleas,now,thanks,thank you,thankyou,thx,tx,ty,tks,ok,okay,k,just,hi,"
                "hello,hey,i said,said,again,right now,asap,immediately,already,sorry,and,bye,see you,"
                "see you then,see you soon,see you there,see you tomorrow,por favor,porfavor,porfa,gracias,"
                "muchas gracias,ya,hola,ahora,ahora mismo,de una vez,adios"},
};

constexpr std::array kPhrases = {
    // --- Opt-out phrasings a reasonable person would read as "stop messaging me".
    PhraseRule{"opt_out.stop_messaging", kStopPhrase, kEn,
               "stop|quit|cease|halt texting|txting|texing|messaging|msging|sending|contacting|emailing|"
               "bothering|spamming|harassing|harasing|pestering|text|txt|message|msg|email|contact|send"},
    PhraseRule{"opt_out.stop_messages", kStopPhrase, kEn,
               "stop|quit|cease|halt|end|cancel the|these|those|this|that|all|your|ur|ya|any|my? "
               "the|these|those|your|ur? " RECALL_APPT " " RECALL_MSGS_EN "|subscription|subscriptions"},
    // Calls get their own id so that a caller can scope the revocation to voice
    // channels; the classifier itself does not know channels.
    PhraseRule{"opt_out.stop_calling", kStopPhrase, kEn,
               "stop|quit|cease calling|call|phoning|ringing|robocalling;"
               "dont|never call|phone|ring me|us|anymore|again|this|$;"
               "no more calls|robocalls|voicemails"},
    PhraseRule{"opt_out.unsubscribe", kStopPhrase, kEn,
               "unsubscribe|unsub|unsubscribed|unsuscribe|unsubcribe|unsubscribing|optout|stopall"},
    PhraseRule{"opt_out.opt_out", kStopPhrase, kEn, "opt|opting|opted me|us? out"},
    PhraseRule{"opt_out.remove_me", kStopPhrase, kEn,
               "remove|take|delete|drop|erase|get me|us off|from the|your|this|ur|that|these|my? "
               "list|lists|texting|texts|text|messaging|messages|msgs|sms|contact|contacts|mailing|system|"
               "database|records|thing|this|these|it|them|$;"
               "remove me|us $;"
               "remove|take|delete|erase|lose|drop my|this|our number|phone|cell|info"},
    PhraseRule{"opt_out.leave_alone", kStopPhrase, kEn, "leave me|us alone"},
    PhraseRule{"opt_out.no_more", kStopPhrase, kEn, "no more " RECALL_APPT " " RECALL_MSGS_EN},
    PhraseRule{"opt_out.dont_contact", kStopPhrase, kEn,
               "dont|never text|txt|message|msg|contact|sms|send|bother|spam|reach "
               "me|us|anymore|again|this|$"},
#define RECALL_WANT_MSGS                                                                                    \
  "want|wish|need|like to? receive|get|recieve? any|more|these|your|the|those|ur? more? " RECALL_APPT " " \
  RECALL_MSGS_EN
    PhraseRule{"opt_out.dont_want", kStopPhrase, kEn,
               "dont " RECALL_WANT_MSGS ";"
               "no longer " RECALL_WANT_MSGS ";"
               "dont want|wish to be texted|contacted|messaged|called|emailed;"
               "no longer want|wish to be texted|contacted|messaged|called|emailed;"
               "no longer wish to receive|be"},
#undef RECALL_WANT_MSGS
    // "wrong number" ends its clause or is followed by a reason; "Sorry, wrong
    // number earlier, I meant Tuesday" is about the sender's own typo.
    PhraseRule{"opt_out.wrong_number", kStopPhrase, kEn,
               "wrong number|num|person|phone $|i|im|this|thats|you|u|sorry|who|no|not|stop|pls|please|lol|dont"},

    PhraseRule{"opt_out.es.no_mas_mensajes", kStopPhrase, kEs, "no mas " RECALL_MSGS_ES},
    PhraseRule{"opt_out.es.no_me_envien", kStopPhrase, kEs,
               "no me|nos envien|envie|envies|envian|envia|mande|manden|mandes|mandan|manda|escriba|escriban|"
               "escribas|contacte|contacten|contactes|llame|llamen|llames|moleste|molesten|molestes|textee|texteen"},
    PhraseRule{"opt_out.es.dejen_de", kStopPhrase, kEs,
               "dejen|deje|deja|dejar|dejes|para|paren|pare|parar de enviar|enviarme|enviarnos|mandar|mandarme|"
               "escribir|escribirme|contactar|contactarme|molestar|molestarme|llamar|llamarme|textear|textearme"},
    PhraseRule{"opt_out.es.dar_de_baja", kStopPhrase, kEs, "dar|darme|darse|darnos|doy|dame|denme|den de baja"},
    PhraseRule{"opt_out.es.no_quiero", kStopPhrase, kEs,
               "no quiero|deseo recibir mas? " RECALL_MSGS_ES "|$;"
               "no quiero|deseo mas " RECALL_MSGS_ES "|$"},
    PhraseRule{"opt_out.es.numero_equivocado", kStopPhrase, kEs,
               "numero|num equivocado|incorrecto|errado;equivocado|equivocados|equivocada|equivocaron|equivoco de numero"},
    PhraseRule{"opt_out.es.dejame_en_paz", kStopPhrase, kEs, "dejame|dejenme|dejeme|dejanos|dejennos en paz"},
    PhraseRule{"opt_out.es.sacame", kStopPhrase, kEs,
               "sacame|saquenme|quitenme|quitame|borrenme|borrame|eliminenme|eliminame|sacarme|quitarme|borrarme|"
               "eliminarme|quiteme|saqueme|borreme|elimineme de|del la|su|sus|esta|este? "
               "lista|listas|sistema|base|registro|registros|envios|" RECALL_MSGS_ES "|$;"
               "borren|borre|eliminen|elimine|quiten|quite|saquen|saque|borrar|eliminar|quitar mi|este numero"},
    PhraseRule{"opt_out.es.cancelar_mensajes", kStopPhrase, kEs,
               "cancelar|cancela|cancelen|cancelo|cancele mi|la|los|las|esta|estos? suscripcion|" RECALL_MSGS_ES},

    // --- Urgent: symptoms and emergencies that a human must see at once. These
    // are matched without negation handling: a false alarm costs a glance, a
    // miss can cost a life.
    PhraseRule{"urgent.heart", kUrgent, kEn, "heart attack|attacks"},
    PhraseRule{"urgent.breathing", kUrgent, kEn,
               "cant|couldnt|unable breathe|breath|breth|breathing|breate;"
               "unable to breathe|breath;"
               "trouble|difficulty|struggling|problems|problem|hard breathing;"
               "hard|difficult|struggling|trying|hurts to breathe|breath;"
               "short|shortness of breath;"
               "cant catch my breath;"
               "not|isnt|stopped breathing;"
               "gasping for air|breath"},
    PhraseRule{"urgent.dizzy", kUrgent, kEn,
               "dizzy|dizziness|lightheaded|faint|fainted|fainting|unconscious|unresponsive|seizure|seizures|"
               "seizing|convulsing|convulsions;"
               "light headed;"
               "passed|pass|passing|blacked|blacking out"},
    PhraseRule{"urgent.bleeding", kUrgent, kEn,
               "bleeding|bleeds|bled a? lot|alot|heavily|badly|bad|nonstop|everywhere|profusely|uncontrollably;"
               "bleeding|bleeds|bled so|too much|bad|heavily;"
               "bleeding|bleeds wont|doesnt|hasnt|cant|isnt|didnt|not stop|stopping|stopped;"
               "wont|cant|doesnt|hasnt|not stop|stopped the? bleeding;"
               "stop the bleeding;"
               "heavy|severe|lots|lot of? bleeding;"
               "lot|lots of blood;"
               "much blood;"
               "coughing|vomiting|throwing|spitting|puking up? blood;"
               "blood in my|the vomit|stool|urine|spit|cough"},
    PhraseRule{"urgent.self_harm", kUrgent, kEn,
               "suicidal|suicide|suicidial|kms;"
               "kill|killing|hurt|hurting|harm|harming|cut|cutting myself|meself;"
               "kill|killing|hurt|hurting|harm|harming|cut|cutting my self;"
               "self harm|harming|harmed|injury;"
               "selfharm;"
               "end|ending|take|taking my|own life;"
               "end it all;"
               "want|wanna|going|gonna|ready to? die;"
               "dont want to live|exist;"
               "dont want to be alive|here;"
               "better off dead;"
               "no reason to live;"
               "wish i was|were dead"},
    PhraseRule{"urgent.overdose", kUrgent, kEn,
               "overdose|overdosed|overdosing;"
               "took|taken|swallowed|ate too many pills|tablets|meds|pils;"
               "too many pills|tablets;"
               "cant|wont stop vomiting|throwing|puking"},
    PhraseRule{"urgent.allergic", kUrgent, kEn,
               "allergic reaction|reactions;"
               "anaphylaxis|anaphylactic|epipen;"
               "epi pen;"
               "hives all over;"
               "cant swallow"},
    PhraseRule{"urgent.stroke", kUrgent, kEn,
               "stroke|strokes;"
               "face|mouth is? drooping|droopy;"
               "slurred|slurring speech|words;"
               "cant feel|move my|the arm|arms|leg|legs|face|side"},
    PhraseRule{"urgent.emergency", kUrgent, kEn,
               "emergency|emergancy|emergencies !contact|contacts|number|numbers|info|information|form|forms|fund|kit;"
               "911;"
               "ambulance"},
    PhraseRule{"urgent.severe_pain", kUrgent, kEn,
               "severe|unbearable|excruciating|extreme|intense|worst|horrible pain|pains;"
               "excruciating;"
               "agony;"
               "pain is unbearable|excruciating"},
    PhraseRule{"urgent.fever", kUrgent, kEn, "high fever;fever of? 103|104|105|106"},

    PhraseRule{"urgent.es.heart", kUrgent, kEs, "infarto;ataque al corazon;derrame cerebral"},
    PhraseRule{"urgent.es.breathing", kUrgent, kEs,
               "no puedo|puede|podia|podemos respirar;"
               "dificultad|dificultades|problemas para? respirar;"
               "me falta|faltaba el? aire;"
               "falta de aire;"
               "me ahogo;"
               "ahogando;"
               "no respira"},
    PhraseRule{"urgent.es.dizzy", kUrgent, kEs,
               "mareado|mareada|mareos|mareo|desmayo|desmaye|desmayado|desmayada|desmayando|inconsciente|"
               "convulsion|convulsiones|convulsionando"},
    PhraseRule{"urgent.es.bleeding", kUrgent, kEs,
               "sangrando|sangrado mucho|abundante|fuerte|excesivo;"
               "mucha sangre;"
               "no para|deja de sangrar;"
               "sangre en el|la? vomito|orina|heces;"
               "vomitando|tosiendo sangre"},
    PhraseRule{"urgent.es.self_harm", kUrgent, kEs,
               "suicidio|suicida|suicidarme|suicidar|suicidarse|matarme;"
               "quitarme la vida;"
               "quiero morir|morirme;"
               "me quiero morir;"
               "hacerme dano;"
               "cortarme;"
               "no quiero vivir"},
    PhraseRule{"urgent.es.overdose", kUrgent, kEs,
               "sobredosis;demasiadas pastillas|pildoras;tome muchas pastillas|pildoras"},
    PhraseRule{"urgent.es.allergic", kUrgent, kEs, "reaccion alergica;alergia grave|fuerte"},
    PhraseRule{"urgent.es.emergency", kUrgent, kEs, "emergencia|emergencias|ambulancia|urgencia"},
    PhraseRule{"urgent.es.severe_pain", kUrgent, kEs,
               "dolor fuerte|severo|insoportable|terrible|intenso;dolor muy fuerte"},

    // Questions about care: not emergencies, but for a clinician rather than
    // the front desk (the hand-off queue's "clinical" priority).
    PhraseRule{"clinical.medication", kClinical, kEn,
               "prescription|prescriptions|prescribed|refill|refills|medication|medications|medicine|medicines|"
               "meds|dosage|antibiotic|antibiotics|painkiller|painkillers|ibuprofen|tylenol|advil|insulin;"
               "my|the|these|those pills|tablets|dose;"
               "side effect|effects"},
    PhraseRule{"clinical.results", kClinical, kEn,
               "test|lab|labs|blood|biopsy|xray|scan|mri|results result|results|back;"
               "biopsy;"
               "diagnosis|diagnosed"},
    PhraseRule{"clinical.symptom", kClinical, kEn,
               "pain|painful|ache|aching|sore|swollen|swelling|infection|infected|bleeding|fever|rash|"
               "toothache|sensitivity|numb|numbness|stitches|stiches"},
    PhraseRule{"clinical.procedure", kClinical, kEn,
               "should|can|may|do i eat|drink|fast|take|stop|brush|floss|exercise before|after;"
               "after my|the surgery|procedure|extraction|filling|crown|implant|root|operation|injection|shot"},
    PhraseRule{"clinical.es.medication", kClinical, kEs,
               "receta|recetas|medicamento|medicamentos|medicina|medicinas|pastillas|dosis|antibiotico|antibioticos|"
               "insulina"},
    PhraseRule{"clinical.es.results", kClinical, kEs,
               "resultados|resultado|biopsia|diagnostico|analisis"},
    PhraseRule{"clinical.es.symptom", kClinical, kEs,
               "dolor|duele|infeccion|hinchado|hinchada|fiebre|sangrado|sarpullido"},
};

constexpr std::array kNear = {
    NearRule{"urgent.chest_pain", kEn, "chest",
             "pain|pains|painful|hurts|hurt|hurting|tight|tightness|pressure|ache|aches|aching|heavy|crushing|"
             "squeezing",
             6},
    NearRule{"urgent.swelling", kEn, "face|throat|tongue|lips|lip|mouth|eye|eyes|cheek|neck",
             "swelling|swollen|swelled|swell|swells|closing|closed|puffy", 4},
    NearRule{"urgent.es.chest_pain", kEs, "pecho",
             "dolor|dolores|duele|duelen|presion|opresion|apretado|apretada", 5},
    NearRule{"urgent.es.swelling", kEs, "cara|garganta|lengua|labios|labio|boca|ojos|cuello",
             "hinchada|hinchado|hinchadas|hinchados|hinchando|hinchazon|hincha|inflamada|inflamado|cerrando|cierra",
             4},
};

#undef RECALL_MSGS_EN
#undef RECALL_MSGS_ES
#undef RECALL_APPT

}  // namespace

std::span<const KeywordRule> KeywordRules() { return kKeywords; }
std::span<const PhraseRule> PhraseRules() { return kPhrases; }
std::span<const NearRule> NearRules() { return kNear; }

std::string_view ClauseStarters() {
  return "i|im|ive|ill|id|we|were|this|thats|its|it|you|youre|u|ur|wrong|not|no|dont|who|whos|why|how|what|"
         "whoever|me|yo|tengo|estoy|es|soy|esto|quien|numero";
}

std::string_view Negators(RuleLanguage language) {
  if (language == RuleLanguage::kSpanish) return "no|nunca|ni";
  return "dont|didnt|doesnt|wont|wouldnt|shouldnt|never|not";
}

}  // namespace recall::inbound::internal
