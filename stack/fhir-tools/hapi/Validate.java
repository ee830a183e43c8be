import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.UnknownCodeSystemWarningValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/**
 * Validates every resource of the .ndjson and .json files given (files or directories) against
 * FHIR R4 with the HAPI instance validator, offline. Prints one JSON line per file and the first
 * errors; exits 1 when any resource has an error or fatal issue. Codes of external systems
 * (SNOMED CT, RxNorm, LOINC) cannot be checked offline: their unknown-system issues are warnings.
 *
 *   java -cp '.stack/fhir/hapi-lib/*' stack/fhir-tools/hapi/Validate.java <file|dir>...
 */
public class Validate {
  public static void main(String[] args) throws Exception {
    FhirContext ctx = FhirContext.forR4();
    UnknownCodeSystemWarningValidationSupport unknown = new UnknownCodeSystemWarningValidationSupport(ctx);
    unknown.setNonExistentCodeSystemSeverity(ca.uhn.fhir.context.support.IValidationSupport.IssueSeverity.WARNING);
    ValidationSupportChain chain = new ValidationSupportChain(
        new DefaultProfileValidationSupport(ctx), new CommonCodeSystemsTerminologyService(ctx),
        new InMemoryTerminologyServerValidationSupport(ctx), new SnapshotGeneratingValidationSupport(ctx), unknown);
    FhirInstanceValidator module = new FhirInstanceValidator(chain);
    module.setAnyExtensionsAllowed(true);
    FhirValidator validator = ctx.newValidator().registerValidatorModule(module);

    List<Path> files = new ArrayList<>();
    for (String a : args) {
      Path p = Path.of(a);
      if (Files.isDirectory(p)) try (var s = Files.list(p)) { s.filter(f -> f.toString().endsWith(".ndjson") || f.toString().endsWith(".json")).sorted().forEach(files::add); }
      else files.add(p);
    }
    int errors = 0;
    int resources = 0;
    List<String> firsts = new ArrayList<>();
    TreeMap<String, Integer> byMessage = new TreeMap<>();
    for (Path f : files) {
      List<String> docs = new ArrayList<>();
      if (f.toString().endsWith(".ndjson")) {
        try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
          for (String line; (line = r.readLine()) != null;) if (!line.isBlank()) docs.add(line);
        }
      } else docs.add(Files.readString(f, StandardCharsets.UTF_8));
      int fileErrors = 0;
      int warnings = 0;
      for (int i = 0; i < docs.size(); i++) {
        ValidationResult res = validator.validateWithResult(docs.get(i));
        for (SingleValidationMessage m : res.getMessages()) {
          if (m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL) {
            fileErrors++;
            byMessage.merge(m.getMessage().replaceAll("'[^']*'", "'…'"), 1, Integer::sum);
            if (firsts.size() < 40) firsts.add(f.getFileName() + "#" + i + " " + m.getLocationString() + ": " + m.getMessage());
          } else if (m.getSeverity() == ResultSeverityEnum.WARNING) warnings++;
        }
      }
      resources += docs.size();
      errors += fileErrors;
      System.out.println("{\"file\":\"" + f.getFileName() + "\",\"resources\":" + docs.size() + ",\"errors\":" + fileErrors + ",\"warnings\":" + warnings + "}");
    }
    for (String e : firsts) System.out.println("ERROR " + e);
    byMessage.forEach((m, n) -> System.out.println("COUNT " + n + " " + m));
    System.out.println("{\"total\":{\"resources\":" + resources + ",\"errors\":" + errors + "}}");
    System.exit(errors == 0 ? 0 : 1);
  }
}
