/** Coder choice shared by the transforms: schema or registry coders, never Java serialization. */
package io.beamsuite.transforms.coders;
