package dev.herd.evals.ifeval;

import com.optimaize.langdetect.DetectedLanguage;
import com.optimaize.langdetect.LanguageDetector;
import com.optimaize.langdetect.LanguageDetectorBuilder;
import com.optimaize.langdetect.ngram.NgramExtractors;
import com.optimaize.langdetect.profiles.LanguageProfileReader;
import com.optimaize.langdetect.text.CommonTextObjectFactories;
import com.optimaize.langdetect.text.TextObjectFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

/**
 * Language identification for {@code language:response_language} and the English checks of {@code change_case}:
 * optimaize's language-detector, a Java port of the same n-gram profiles (Shuyo's language-detection) that the
 * reference's {@code langdetect} uses. Like the reference it takes the most probable language, and text with nothing
 * to detect (no letters) counts as followed. Seeded, so a response is judged the same on every run; loaded once
 * (the 71 profiles take about a second).
 */
final class Languages {

    /** The detector's own default seed would do as well; a fixed one states that results do not vary. */
    private static final long SEED = 0L;
    private static volatile Languages shared;

    private final LanguageDetector detector;
    private final TextObjectFactory text = CommonTextObjectFactories.forDetectingOnLargeText();

    private Languages() {
        try {
            detector = LanguageDetectorBuilder.create(NgramExtractors.standard())
                    .withProfiles(new LanguageProfileReader().readAllBuiltIn())
                    .shortTextAlgorithm(0)     // one algorithm for every length, as langdetect has
                    .seed(SEED)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("loading the language profiles", e);
        }
    }

    static Languages shared() {
        Languages l = shared;
        if (l == null) {
            synchronized (Languages.class) {
                if (shared == null) {
                    shared = new Languages();
                }
                l = shared;
            }
        }
        return l;
    }

    /**
     * The most probable language's ISO 639-1 code ("en", "hi"; "zh-cn" and "zh-tw" for Chinese, as langdetect), or
     * null when the text has nothing to detect.
     */
    String detect(String s) {
        List<DetectedLanguage> found;
        synchronized (detector) {
            found = detector.getProbabilities(text.forText(s));
        }
        if (found.isEmpty()) {
            return null;
        }
        return found.get(0).getLocale().toString().toLowerCase(Locale.ROOT);
    }

    /** Whether the text is in the language (or has nothing to detect, which the reference counts as followed). */
    boolean is(String s, String code) {
        String found = detect(s);
        return found == null || found.equals(code.toLowerCase(Locale.ROOT));
    }

    /** {@code language:response_language}: the whole response is detected as the language. */
    record ResponseLanguage(Languages languages, String language) implements Instruction {
        @Override
        public boolean followedBy(String response) {
            return languages.is(response, language);
        }
    }
}
